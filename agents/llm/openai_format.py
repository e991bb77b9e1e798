"""Chat Completions wire format: our messages to request JSON, response JSON (whole or streamed) back.

Pure functions over plain dicts, so they are tested without a server. Responses are read as the dicts the
server sent (not the SDK's typed models) because OpenAI-compatible servers add fields (reasoning_content)
and leave others out (ids, usage, finish_reason).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field

from .types import ChatMessage, Delta, LLMRequest, LLMResponse, ToolCall, ToolSpec, Usage

OPENAI_HOST = "api.openai.com"

# OpenAI's reasoning models reject any temperature but the default.
_FIXED_TEMPERATURE_PREFIXES = ("o1", "o3", "o4", "gpt-5")


def new_call_id() -> str:
    """For local servers that leave the tool-call id out; the next turn must quote one back."""
    return f"call_{uuid.uuid4().hex[:24]}"


# ------------------------------------------------------------------------------------------------ request


def message_to_wire(message: ChatMessage) -> dict:
    # `name` is left out on purpose: several compatible servers (Groq among them) reject it.
    if message.role == "tool":
        return {"role": "tool", "tool_call_id": message.tool_call_id or "", "content": message.content or ""}
    if message.role == "assistant":
        wire: dict = {"role": "assistant", "content": message.content or None}
        if message.tool_calls:
            wire["tool_calls"] = [
                {"id": call.id, "type": "function", "function": {"name": call.name, "arguments": call.arguments}}
                for call in message.tool_calls
            ]
        elif wire["content"] is None:
            wire["content"] = ""  # null content is only valid next to tool calls
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
    params: dict = {"model": request.model, "messages": [message_to_wire(m) for m in request.messages]}
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


def _arguments(value: object) -> str:
    if isinstance(value, (dict, list)):  # a few servers send the parsed object
        return json.dumps(value)
    return value if isinstance(value, str) else ""


def _reasoning_of(message: dict) -> str:
    # vLLM, DeepSeek and llama.cpp call it reasoning_content; Ollama and OpenRouter call it reasoning.
    return _text(message.get("reasoning_content")) or _text(message.get("reasoning"))


def parse_completion(data: dict, *, requested_model: str) -> LLMResponse:
    choices = data.get("choices")
    if not choices or not isinstance(choices[0], dict):
        raise ValueError(f"the response has no choices: {json.dumps(data)[:300]}")
    choice = choices[0]
    message = choice.get("message") or {}
    raw_calls = list(message.get("tool_calls") or [])
    if message.get("function_call"):  # the legacy single-function form
        raw_calls.append({"function": message["function_call"]})
    calls = [
        ToolCall(
            id=call.get("id") or new_call_id(),
            name=(call.get("function") or {}).get("name") or "",
            arguments=_arguments((call.get("function") or {}).get("arguments")) or "{}",
        )
        for call in raw_calls
    ]
    return LLMResponse(
        content=_text(message.get("content")) or None,
        tool_calls=calls,
        finish_reason=finish_reason(choice.get("finish_reason"), bool(calls)),
        usage=usage_from(data.get("usage")),
        model=data.get("model") or requested_model,
        reasoning=_reasoning_of(message) or None,
        raw=data,
    )


@dataclass(slots=True)
class _PendingCall:
    id: str
    name: str
    arguments: list[str] = field(default_factory=list)


class StreamAssembler:
    """Turns streamed chunks into Deltas as they come, and into the whole response at the end."""

    def __init__(self, requested_model: str) -> None:
        self.model = requested_model
        self.content: list[str] = []
        self.reasoning: list[str] = []
        self.calls: list[_PendingCall] = []
        self._calls_by_index: dict[int, _PendingCall] = {}
        self.finish: str | None = None
        self.usage: dict | None = None

    def feed(self, chunk: dict) -> list[Delta]:
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
            pieces = list(delta.get("tool_calls") or [])
            if delta.get("function_call"):
                pieces.append({"index": 0, "function": delta["function_call"]})
            for piece in pieces:
                if (out := self._tool_piece(piece)) is not None:
                    deltas.append(out)
            if choice.get("finish_reason"):
                self.finish = choice["finish_reason"]
        return deltas

    def _tool_piece(self, piece: dict) -> Delta | None:
        function = piece.get("function") or {}
        index = piece.get("index")
        if not isinstance(index, int):
            # No index (some local servers): a new id starts a new call, anything else continues the last one.
            known = {c.id for c in self.calls}
            is_new = not self.calls or (piece.get("id") and piece["id"] not in known)
            index = len(self.calls) if is_new else self._index_of(self.calls[-1])
        call = self._calls_by_index.get(index)
        first = call is None
        named_now = None
        if call is None:
            call = _PendingCall(id=piece.get("id") or new_call_id(), name=function.get("name") or "")
            self._calls_by_index[index] = call
            self.calls.append(call)
            named_now = call.name or None
        elif not call.name and function.get("name"):
            call.name = named_now = function["name"]
        arguments = _arguments(function.get("arguments"))
        if arguments:
            call.arguments.append(arguments)
        if not (first or named_now or arguments):
            return None
        return Delta(
            "tool_call",
            text=arguments,
            tool_call_index=self.calls.index(call),
            tool_call_id=call.id if first else None,
            tool_name=named_now,
        )

    def _index_of(self, call: _PendingCall) -> int:
        return next(i for i, c in self._calls_by_index.items() if c is call)

    def result(self) -> LLMResponse:
        calls = [ToolCall(id=c.id, name=c.name, arguments="".join(c.arguments) or "{}") for c in self.calls]
        return LLMResponse(
            content="".join(self.content) or None,
            tool_calls=calls,
            finish_reason=finish_reason(self.finish, bool(calls)),
            usage=usage_from(self.usage),
            model=self.model,
            reasoning="".join(self.reasoning) or None,
        )
