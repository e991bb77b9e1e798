"""What the agent loop hands a tool when it runs it. `tools` imports nothing of `agents`, so everything a tool
may need from the agent (its blocks, its archive, a way to search its history) arrives here as values and
callables. Built-in tools run synchronously inside the step's database transaction."""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class ToolContext:
    organization_id: str
    agent_id: str
    step_id: str | None = None
    tool_call_id: str | None = None
    tool_name: str | None = None
    # label -> block id for the blocks attached to the agent, as of this call.
    blocks: dict[str, str] = field(default_factory=dict)
    timezone: str = "UTC"
    # Returns the agent's archive id, creating and linking the archive on first use.
    ensure_archive: Callable[[], str] | None = None
    # (label, value) -> id of a new block attached to the agent (memory_rethink on an unknown label).
    attach_new_block: Callable[[str, str], str] | None = None
    # conversation_search backend: (query, roles, limit, start, end) -> list of result dicts; start and end are
    # aware datetimes (or None), already read from the tool's ISO arguments.
    search_messages: Callable[..., list[dict[str, Any]]] | None = None
    # The thread the call runs in (None: the agent's default thread); conversation_search covers only it.
    conversation_id: str | None = None
    # texts -> vectors with the agent's embedding model, or None when it has none (archival search is then
    # full-text only). The loop computes the vectors before the step's transaction; this only looks them up.
    embed_fn: Callable[[list[str]], list[list[float]]] | None = None
    embedding_model: str | None = None
    # The agent's secrets (its tools' environment), for a built-in that reads a key from them as Letta's do
    # (web_search's EXA_API_KEY); set only for the built-ins that run outside the step's transaction.
    secrets: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class MemoryEdited:
    """What a built-in tool returns when it changed a memory block: the text for the model, and the block, which
    the executor hands back in `ToolResult.changed_block_ids`."""

    text: str
    block_id: str


@dataclass(slots=True)
class ToolResult:
    status: str  # "success" | "error"
    func_return: str
    stdout: list[str] = field(default_factory=list)
    stderr: list[str] = field(default_factory=list)
    # Block ids this call changed, so the loop knows the system prompt that shows them is stale.
    changed_block_ids: list[str] = field(default_factory=list)
    # label -> value a custom tool set through Letta's `agent_state.memory`, for the caller to write back.
    block_values: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status == "success"
