"""Provider-neutral messages, requests and responses: the only shapes the rest of the project sees."""

from __future__ import annotations

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
