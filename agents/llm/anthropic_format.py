"""Anthropic Messages wire format: our messages to request JSON, response JSON (whole or streamed) back.

Pure functions over plain dicts, so they are tested without a server.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from .types import ChatMessage, Delta, LLMRequest, LLMResponse, ToolCall, ToolSpec, Usage

DEFAULT_MAX_TOKENS = 4096  # Anthropic requires max_tokens on every request

# Anthropic insists the conversation open with a user turn; histories that begin with the agent speaking
# (a greeting, a bootstrap tool call) get this in front.
CONVERSATION_START = "(The conversation starts.)"

_BAD_ID_CHARS = re.compile(r"[^a-zA-Z0-9_-]")


def _tool_id(call_id: str | None) -> str:
    # Anthropic accepts only [a-zA-Z0-9_-] in tool ids; other providers' ids may carry more.
    return _BAD_ID_CHARS.sub("_", call_id or "") or "call"


def tool_input(arguments: str) -> dict:
    """The input object of a tool_use block from our JSON text.

    Anthropic needs an object. Arguments that are not a JSON object (the model produced broken JSON) are
    replayed as {"raw": text}, so the model sees what it actually sent next to the error it got for it.
    """
    if not arguments or not arguments.strip():
        return {}
    try:
        value = json.loads(arguments)
    except ValueError:
        return {"raw": arguments}
    return value if isinstance(value, dict) else {"raw": arguments}


# ------------------------------------------------------------------------------------------------ request


def _blocks(message: ChatMessage) -> tuple[str, list[dict]]:
    if message.role == "tool":
        result: dict = {"type": "tool_result", "tool_use_id": _tool_id(message.tool_call_id)}
        if message.content:
            result["content"] = message.content
        return "user", [result]
    blocks: list[dict] = []
    if message.role == "assistant":
        if message.reasoning and message.reasoning_signature:
            blocks.append({"type": "thinking", "thinking": message.reasoning, "signature": message.reasoning_signature})
        if message.content:
            blocks.append({"type": "text", "text": message.content})
        for call in message.tool_calls:
            blocks.append(
                {"type": "tool_use", "id": _tool_id(call.id), "name": call.name, "input": tool_input(call.arguments)}
            )
        return "assistant", blocks
    # Empty text blocks are rejected, so an empty user message simply disappears.
    return "user", [{"type": "text", "text": message.content}] if message.content else []


def messages_to_wire(messages: list[ChatMessage]) -> tuple[str | None, list[dict]]:
    """(system text, alternating user/assistant messages). Consecutive same-role turns are merged, which
    also puts the results of parallel tool calls in the single user message Anthropic requires."""
    system = [m.content for m in messages if m.role == "system" and m.content]
    wire: list[dict] = []
    for message in messages:
        if message.role == "system":
            continue
        role, blocks = _blocks(message)
        if not blocks:
            continue
        if wire and wire[-1]["role"] == role:
            wire[-1]["content"].extend(blocks)
        else:
            wire.append({"role": role, "content": blocks})
    if wire and wire[0]["role"] != "user":
        wire.insert(0, {"role": "user", "content": [{"type": "text", "text": CONVERSATION_START}]})
    return ("\n\n".join(system) or None), wire


def tool_to_wire(tool: ToolSpec) -> dict:
    schema = dict(tool.parameters or {})
    schema.setdefault("type", "object")
    if schema["type"] == "object":
        schema.setdefault("properties", {})
    return {"name": tool.name, "description": tool.description, "input_schema": schema}


def tool_choice_to_wire(choice: str, parallel: bool) -> dict:
    if choice == "none":
        return {"type": "none"}
    wire = {"auto": {"type": "auto"}, "required": {"type": "any"}}.get(choice) or {"type": "tool", "name": choice}
    if not parallel:
        wire["disable_parallel_tool_use"] = True
    return wire


# What a streaming request adds to the body.
STREAM_FLAGS = {"stream": True}


def build_params(request: LLMRequest) -> dict:
    """Keyword arguments for messages.create.

    temperature is not sent: the Anthropic API (version 2026-10-21, which this SDK speaks) rejects every
    sampling parameter with a 400, and the SDK no longer has them.
    """
    system, messages = messages_to_wire(request.messages)
    params: dict = {
        "model": request.model,
        "messages": messages,
        "max_tokens": request.max_tokens or DEFAULT_MAX_TOKENS,
    }
    if system:
        params["system"] = system
    if request.tools:
        params["tools"] = [tool_to_wire(t) for t in request.tools]
        params["tool_choice"] = tool_choice_to_wire(request.tool_choice, request.parallel_tool_calls)
    return params


# ------------------------------------------------------------------------------------------------ response

_FINISH = {"tool_use": "tool_calls", "max_tokens": "length", "model_context_window_exceeded": "length"}


def finish_reason(stop_reason: str | None, has_tool_calls: bool) -> str:
    reason = _FINISH.get(stop_reason or "", "stop")  # end_turn, stop_sequence, pause_turn, refusal
    if reason == "stop" and has_tool_calls:
        return "tool_calls"
    if reason == "tool_calls" and not has_tool_calls:
        return "stop"
    return reason


def usage_from(data: dict | None) -> Usage:
    if not data:
        return Usage(reported=False)
    fresh = data.get("input_tokens") or 0
    cache_read = data.get("cache_read_input_tokens") or 0
    cache_write = data.get("cache_creation_input_tokens") or 0
    output = data.get("output_tokens") or 0
    prompt = fresh + cache_read + cache_write
    return Usage(
        prompt_tokens=prompt,
        completion_tokens=output,
        total_tokens=prompt + output,
        cached_input_tokens=cache_read,
        cache_write_tokens=cache_write,
        reasoning_tokens=(data.get("output_tokens_details") or {}).get("thinking_tokens") or 0,
    )


def parse_message(data: dict, *, requested_model: str) -> LLMResponse:
    if not isinstance(data.get("content"), list):
        raise ValueError(f"the response has no content list: {json.dumps(data)[:300]}")
    text: list[str] = []
    thinking: list[str] = []
    signature = None
    calls: list[ToolCall] = []
    for block in data["content"]:
        kind = block.get("type")
        if kind == "text":
            text.append(block.get("text") or "")
        elif kind == "thinking":
            thinking.append(block.get("thinking") or "")
            signature = block.get("signature") or signature
        elif kind == "tool_use":
            calls.append(
                ToolCall(id=block["id"], name=block.get("name") or "", arguments=json.dumps(block.get("input") or {}))
            )
    return LLMResponse(
        content="".join(text) or None,
        tool_calls=calls,
        finish_reason=finish_reason(data.get("stop_reason"), bool(calls)),
        usage=usage_from(data.get("usage")),
        model=data.get("model") or requested_model,
        reasoning="".join(thinking) or None,
        reasoning_signature=signature,
        raw=data,
    )


@dataclass(slots=True)
class _PendingCall:
    id: str
    name: str
    partial_json: list[str] = field(default_factory=list)

    def arguments(self) -> str:
        # Re-serialized so a streamed call reads exactly like the same call answered without streaming.
        text = "".join(self.partial_json)
        try:
            return json.dumps(json.loads(text)) if text.strip() else "{}"
        except ValueError:
            return text


class StreamAssembler:
    """Turns raw stream events (message_start, content_block_*, message_delta) into Deltas and a response."""

    def __init__(self, requested_model: str) -> None:
        self.model = requested_model
        self.text: list[str] = []
        self.thinking: list[str] = []
        self.signature: str | None = None
        self.calls: list[_PendingCall] = []
        self._calls_by_block: dict[int, _PendingCall] = {}
        self.stop_reason: str | None = None
        self.usage: dict = {}

    def feed(self, event: dict) -> list[Delta]:
        kind = event.get("type")
        if kind == "message_start":
            message = event.get("message") or {}
            self.model = message.get("model") or self.model
            self.usage.update(message.get("usage") or {})
        elif kind == "content_block_start":
            return self._block_start(event.get("index"), event.get("content_block") or {})
        elif kind == "content_block_delta":
            return self._block_delta(event.get("index"), event.get("delta") or {})
        elif kind == "message_delta":
            self.stop_reason = (event.get("delta") or {}).get("stop_reason") or self.stop_reason
            # Counts here are cumulative; only the ones present replace what message_start said.
            self.usage.update({k: v for k, v in (event.get("usage") or {}).items() if v is not None})
        return []

    def _block_start(self, index: int | None, block: dict) -> list[Delta]:
        kind = block.get("type")
        if kind == "tool_use":
            call = _PendingCall(id=block.get("id") or "", name=block.get("name") or "")
            self._calls_by_block[index] = call
            self.calls.append(call)
            return [Delta("tool_call", tool_call_index=len(self.calls) - 1, tool_call_id=call.id, tool_name=call.name)]
        if kind == "text" and block.get("text"):
            return self._text(block["text"])
        if kind == "thinking":
            self.signature = block.get("signature") or self.signature
            if block.get("thinking"):
                return self._thinking(block["thinking"])
        return []

    def _block_delta(self, index: int | None, delta: dict) -> list[Delta]:
        kind = delta.get("type")
        if kind == "text_delta":
            return self._text(delta.get("text") or "")
        if kind == "thinking_delta":
            return self._thinking(delta.get("thinking") or "")
        if kind == "signature_delta":
            self.signature = delta.get("signature") or self.signature
        elif kind == "input_json_delta" and (call := self._calls_by_block.get(index)) is not None:
            piece = delta.get("partial_json") or ""
            if piece:
                call.partial_json.append(piece)
                return [Delta("tool_call", text=piece, tool_call_index=self.calls.index(call))]
        return []

    def _text(self, piece: str) -> list[Delta]:
        if not piece:
            return []
        self.text.append(piece)
        return [Delta("content", piece)]

    def _thinking(self, piece: str) -> list[Delta]:
        if not piece:
            return []
        self.thinking.append(piece)
        return [Delta("reasoning", piece)]

    def result(self) -> LLMResponse:
        calls = [ToolCall(id=c.id, name=c.name, arguments=c.arguments()) for c in self.calls]
        return LLMResponse(
            content="".join(self.text) or None,
            tool_calls=calls,
            finish_reason=finish_reason(self.stop_reason, bool(calls)),
            usage=usage_from(self.usage),
            model=self.model,
            reasoning="".join(self.thinking) or None,
            reasoning_signature=self.signature,
        )
