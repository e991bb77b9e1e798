"""Provider-neutral messages, requests and responses: the only shapes the rest of the project sees."""

from __future__ import annotations

import time
from dataclasses import dataclass, field


@dataclass(slots=True)
class ToolCall:
    id: str
    name: str
    arguments: str  # JSON text exactly as the model produced it (it may be invalid JSON)


@dataclass(slots=True)
class ChatMessage:
    role: str  # system | user | assistant | tool
    content: str | None = None
    tool_calls: list[ToolCall] = field(default_factory=list)
    tool_call_id: str | None = None  # on a tool message: the call it answers
    name: str | None = None
    # Replayed to Anthropic as a thinking block when the signature is present; other providers ignore it.
    reasoning: str | None = None
    reasoning_signature: str | None = None


@dataclass(slots=True)
class ToolSpec:
    name: str
    description: str
    parameters: dict  # JSON schema of the arguments object


@dataclass(slots=True)
class LLMRequest:
    model: str
    messages: list[ChatMessage]
    tools: list[ToolSpec] = field(default_factory=list)
    tool_choice: str = "auto"  # "auto" | "required" | "none" | the name of a tool to force
    temperature: float | None = None
    max_tokens: int | None = None
    parallel_tool_calls: bool = False


@dataclass(slots=True)
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    cached_input_tokens: int = 0
    cache_write_tokens: int = 0
    reasoning_tokens: int = 0
    reported: bool = True  # False when the server sent no usage at all


@dataclass(slots=True)
class LLMResponse:
    content: str | None
    tool_calls: list[ToolCall]
    finish_reason: str  # "stop" | "tool_calls" | "length"
    usage: Usage
    model: str
    reasoning: str | None = None
    reasoning_signature: str | None = None
    raw: dict | None = None
    trace: ProviderCall | None = None  # what went over the wire for this answer


@dataclass(slots=True)
class ProviderCall:
    """What went over the wire for one model call: the body posted and what came back, never a header or key.

    The client fills it in as the call goes; a caller that may abandon the call (a cancelled run) passes its own
    to `LLMClient.complete` and still holds what arrived before it gave up. Nothing here is copied: the request
    is the dict the SDK posted and the events are the dicts the stream parsed, kept by reference."""

    provider_type: str = ""
    endpoint: str = ""
    request: dict = field(default_factory=dict)
    response: dict | None = None  # a whole (not streamed) answer, as parsed JSON
    events: list[dict] | None = None  # a streamed answer: every event, in order
    error: dict | None = None  # a failed call: {"status", "type", "message", "body"}
    started_ns: int = field(default_factory=time.monotonic_ns)
    first_piece_ns: int | None = None  # when the first streamed piece arrived
    ended_ns: int | None = None

    @property
    def latency_ns(self) -> int:
        return (self.ended_ns or time.monotonic_ns()) - self.started_ns

    @property
    def ttft_ns(self) -> int | None:
        """From sending the request to the first streamed piece; None for a call that was not streamed."""
        return None if self.first_piece_ns is None else self.first_piece_ns - self.started_ns

    def answer(self) -> dict:
        """The response side as one JSON object: the answer, the stream's events, or the error (with any events
        that came before it)."""
        out: dict = {}
        if self.response is not None:
            out = dict(self.response)
        if self.events is not None:
            out["stream"] = self.events
        if self.error is not None:
            out["error"] = self.error
        return out


@dataclass(slots=True)
class Delta:
    """One streamed piece. For "tool_call", id and name come with the first piece of that call."""

    kind: str  # "content" | "reasoning" | "tool_call"
    text: str = ""
    tool_call_index: int = 0
    tool_call_id: str | None = None
    tool_name: str | None = None


@dataclass(slots=True)
class ModelInfo:
    name: str
    context_window: int | None = None
    display_name: str | None = None
