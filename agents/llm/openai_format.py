"""Chat Completions wire format: our messages to request JSON, response JSON (whole or streamed) back.

Pure functions over plain dicts, so they are tested without a server. Responses are read as the dicts the
server sent (not the SDK's typed models) because OpenAI-compatible servers add fields (reasoning_content)
and leave others out (ids, usage, finish_reason).
"""

from __future__ import annotations

import json

from .errors import ReportedError, UnusableReply, body_message
from .openai_tool_calls import ToolCallParser
from .types import ChatMessage, Delta, LLMRequest, LLMResponse, ToolSpec, Usage

OPENAI_HOST = "api.openai.com"

# OpenAI's reasoning models reject any temperature but the default.
_FIXED_TEMPERATURE_PREFIXES = ("o1", "o3", "o4", "gpt-5")


# ------------------------------------------------------------------------------------------------ request


def message_to_wire(message: ChatMessage, *, null_beside_calls: bool = False) -> dict:
    """One message as the server reads it. An assistant's tool calls go with "" as content: the spec allows it,
    and llama-cpp-python (500), among others, refuses the null that OpenAI's own API takes (null_beside_calls)."""
    # `name` is left out on purpose: several compatible servers (Groq among them) reject it.
    if message.role == "tool":
        return {"role": "tool", "tool_call_id": message.tool_call_id or "", "content": message.content or ""}
    if message.role == "assistant":
        wire: dict = {"role": "assistant", "content": message.content or ""}
        if message.tool_calls:
            if null_beside_calls and not message.content:
                wire["content"] = None
            wire["tool_calls"] = [
                {"id": call.id, "type": "function", "function": {"name": call.name, "arguments": call.arguments}}
                for call in message.tool_calls
            ]
        return wire
    return {"role": message.role, "content": message.content or ""}


def tool_to_wire(tool: ToolSpec) -> dict:
    return {
        "type": "function",
        "function": {
            "name": tool.name,
            "description": tool.description,
            "parameters": tool.parameters or {"type": "object", "properties": {}},
        },
    }


def tool_choice_to_wire(choice: str) -> str | dict:
    if choice in ("auto", "required", "none"):
        return choice
    return {"type": "function", "function": {"name": choice}}


# What a streaming request adds to the body; usage arrives in a last chunk only when asked for.
STREAM_FLAGS = {"stream": True, "stream_options": {"include_usage": True}}


def build_params(request: LLMRequest, *, official_api: bool = False) -> dict:
    """Keyword arguments for chat.completions.create (stream options are added by the caller)."""
    messages = [message_to_wire(m, null_beside_calls=official_api) for m in request.messages]
    params: dict = {"model": request.model, "messages": messages}
    if request.tools:
        params["tools"] = [tool_to_wire(t) for t in request.tools]
        params["tool_choice"] = tool_choice_to_wire(request.tool_choice)
        params["parallel_tool_calls"] = request.parallel_tool_calls
    if request.max_tokens is not None:
        # OpenAI's reasoning models refuse max_tokens; most compatible servers only know max_tokens.
        params["max_completion_tokens" if official_api else "max_tokens"] = request.max_tokens
    if request.temperature is not None:
        model = request.model.rsplit("/", 1)[-1]
        if not (official_api and model.startswith(_FIXED_TEMPERATURE_PREFIXES)):
            params["temperature"] = request.temperature
    return params


# ------------------------------------------------------------------------------------------------ response


def usage_from(data: dict | None) -> Usage:
    if not data:
        return Usage(reported=False)
    prompt = data.get("prompt_tokens") or 0
    completion = data.get("completion_tokens") or 0
    prompt_details = data.get("prompt_tokens_details") or {}
    completion_details = data.get("completion_tokens_details") or {}
    return Usage(
        prompt_tokens=prompt,
        completion_tokens=completion,
        total_tokens=data.get("total_tokens") or prompt + completion,
        # DeepSeek reports cache hits under its own name.
        cached_input_tokens=prompt_details.get("cached_tokens") or data.get("prompt_cache_hit_tokens") or 0,
        cache_write_tokens=prompt_details.get("cache_write_tokens") or 0,
        reasoning_tokens=completion_details.get("reasoning_tokens") or 0,
    )


def finish_reason(reason: str | None, has_tool_calls: bool) -> str:
    # Some local servers say "stop" even when they return tool calls; the calls are what matter.
    if reason in ("length", "max_tokens"):
        return "length"
    return "tool_calls" if has_tool_calls else "stop"


def _text(value: object) -> str:
    """Content as text, also when a server sends a list of content parts."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "".join(p.get("text") or "" for p in value if isinstance(p, dict))
    return ""


def _reasoning_of(message: dict) -> str:
    # vLLM, DeepSeek and llama.cpp call it reasoning_content; Ollama and OpenRouter call it reasoning.
    return _text(message.get("reasoning_content")) or _text(message.get("reasoning"))


def reported_error(data: dict) -> str | None:
    """The server's own words when a 200 body or stream event is an error: `{"error": ...}` (OpenAI, llama.cpp,
    vLLM) or a bare error object (`{"object": "error", "message": ...}`, older vLLM)."""
    if data.get("error"):
        return body_message(data) or json.dumps(data)[:300]
    if data.get("object") == "error" or ("choices" not in data and isinstance(data.get("message"), str)):
        return body_message(data) or json.dumps(data)[:300]
    return None


def parse_completion(data: dict, *, requested_model: str) -> LLMResponse:
    if (said := reported_error(data)) is not None:
        raise ReportedError(said)
    choices = data.get("choices")
    if choices is None:
        raise UnusableReply(f"the response has no choices: {json.dumps(data)[:300]}")
    if not isinstance(choices, list) or (choices and not isinstance(choices[0], dict)):
        raise UnusableReply(f"the response's choices are not a list of objects: {json.dumps(choices)[:300]}")
    choice = choices[0] if choices else {}  # no choices at all: an empty answer (LLMEmptyResponseError)
    message = choice.get("message") or {}
    parser = ToolCallParser()
    parser.add_message(message)
    calls = parser.calls()
    return LLMResponse(
        content=_text(message.get("content")) or None,
        tool_calls=calls,
        finish_reason=finish_reason(choice.get("finish_reason"), bool(calls)),
        usage=usage_from(data.get("usage")),
        model=data.get("model") or requested_model,
        reasoning=_reasoning_of(message) or None,
        raw=data,
    )


class StreamAssembler:
    """Turns streamed chunks into Deltas as they come, and into the whole response at the end.

    A stream that carried something but ended without a finish_reason was cut off (the server died or closed the
    connection): its half-answer is refused, never taken for a finished turn."""

    def __init__(self, requested_model: str) -> None:
        self.model = requested_model
        self.content: list[str] = []
        self.reasoning: list[str] = []
        self.tool_calls = ToolCallParser()
        self.finish: str | None = None
        self.usage: dict | None = None
        self.chunks = 0

    def feed(self, chunk: dict) -> list[Delta]:
        if (said := reported_error(chunk)) is not None:
            raise ReportedError(said)
        self.chunks += 1
        if chunk.get("model"):
            self.model = chunk["model"]
        if chunk.get("usage"):
            self.usage = chunk["usage"]
        deltas: list[Delta] = []
        for choice in chunk.get("choices") or []:
            if (choice.get("index") or 0) != 0:
                continue
            delta = choice.get("delta") or {}
            if piece := _reasoning_of(delta):
                self.reasoning.append(piece)
                deltas.append(Delta("reasoning", piece))
            if piece := _text(delta.get("content")):
                self.content.append(piece)
                deltas.append(Delta("content", piece))
            deltas += self.tool_calls.add_delta(delta)
            if choice.get("finish_reason"):
                self.finish = choice["finish_reason"]
        return deltas

    def result(self) -> LLMResponse:
        calls = self.tool_calls.calls()
        content, reasoning = "".join(self.content), "".join(self.reasoning)
        if self.finish is None and (content or reasoning or calls):
            raise UnusableReply(
                f"the stream ended before the model finished (no finish_reason after {self.chunks} chunks); the "
                "server may have failed mid-answer"
            )
        return LLMResponse(
            content=content or None,
            tool_calls=calls,
            finish_reason=finish_reason(self.finish, bool(calls)),
            usage=usage_from(self.usage),
            model=self.model,
            reasoning=reasoning or None,
        )
