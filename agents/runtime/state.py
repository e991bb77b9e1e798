"""Everything one run needs, read once when the run starts.

One run per agent holds at a time, so the in-context buffer changes only through this run: after each step the
run's own copy is updated in memory instead of being read again. A step then costs a handful of queries,
however long the history.
"""

import asyncio
from dataclasses import dataclass, field

from agents.llm import ToolSpec
from agents.models import Agent, ContextWindow, Message
from agents.providers import context_window_for
from agents.runtime.budget import TokenLedger
from agents.runtime.request_options import RequestOptions
from tools.rules import ToolRulesSolver, parse_rules


@dataclass(slots=True)
class ToolInfo:
    id: str | None
    name: str
    tool_type: str
    schema: dict
    return_char_limit: int
    source_code: str | None = None
    is_client_tool: bool = False

    def spec(self) -> ToolSpec:
        return ToolSpec(
            name=self.name,
            description=self.schema.get("description", ""),
            parameters=self.schema.get("parameters") or {"type": "object", "properties": {}},
        )


@dataclass(slots=True)
class RunState:
    # The agent as this run sees it: a conversation's model settings override its own (never saved).
    agent: Agent
    # Whose context window the run reads and writes: the agent (its default thread) or one of its conversations.
    thread: ContextWindow
    run_id: str
    buffer: list[Message]
    tools: dict[str, ToolInfo]
    blocks: dict[str, str]
    rules: ToolRulesSolver
    context_window: int
    max_steps: int
    stream_tokens: bool = False
    usage: dict = field(
        default_factory=lambda: {
            "prompt_tokens": 0,
            "completion_tokens": 0,
            "total_tokens": 0,
            "cached_input_tokens": 0,
            "reasoning_tokens": 0,
        }
    )
    usage_reported: bool = False  # whether any step's provider reported usage: if none did, it is unknown, not 0
    step_count: int = 0
    messages_out: list[dict] = field(default_factory=list)
    first_token_ns: int | None = None
    ledger: TokenLedger | None = None
    # Vectors for the texts this step's archival calls need, computed before its transaction.
    embeddings: dict[str, list[float]] = field(default_factory=dict)
    # Returns of this step's calls that ran outside its transaction (custom tools in their sandbox), by call id.
    ran_outside: dict[str, dict] = field(default_factory=dict)
    # How long each of those took in its sandbox, by call id (the step's tool_timings).
    ran_outside_ns: dict[str, int] = field(default_factory=dict)
    # Block values those calls set through `agent_state`, by call id, written inside the step's transaction.
    ran_outside_blocks: dict[str, dict] = field(default_factory=dict)
    # What this request alone asks for (agents/runtime/request_options.py).
    options: RequestOptions = field(default_factory=RequestOptions)
    # Set when this process is asked to cancel the run (run_lifecycle.cancel_signal), for the run's whole life.
    cancel_signal: asyncio.Event | None = None
    # The stored cancel flag as last read: when the run was taken from the queue, then by each step's write (a
    # cancel asked for by another process).
    cancel_requested: bool = False

    @property
    def organization_id(self) -> str:
        return self.agent.organization_id

    def tool_names(self) -> list[str]:
        return list(self.tools)


def load_tools(agent: Agent, client_tools: list[dict] | None) -> dict[str, ToolInfo]:
    tools = {
        t.name: ToolInfo(
            id=t.id,
            name=t.name,
            tool_type=t.tool_type,
            schema=t.json_schema,
            return_char_limit=t.return_char_limit,
            source_code=t.source_code,
        )
        for t in agent.tools.all()
    }
    # Client tools override same-named server tools: the client runs them and sends back the result.
    for spec in client_tools or []:
        tools[spec["name"]] = ToolInfo(
            id=None,
            name=spec["name"],
            tool_type="client",
            schema={
                "name": spec["name"],
                "description": spec.get("description") or "",
                "parameters": spec.get("parameters") or {"type": "object", "properties": {}},
            },
            return_char_limit=50_000,
            is_client_tool=True,
        )
    return tools


def load_buffer(thread: ContextWindow) -> list[Message]:
    by_id = {m.id: m for m in Message.objects.filter(id__in=thread.message_ids)}
    return [by_id[mid] for mid in thread.message_ids if mid in by_id]


def load_run_state(
    agent: Agent,
    run_id: str,
    *,
    max_steps: int,
    stream_tokens: bool,
    client_tools: list[dict] | None,
    thread: ContextWindow | None = None,
    blocks: dict[str, str] | None = None,
) -> RunState:
    """What a run of the agent's thread (its default one unless given) needs; `blocks` (label -> id), when the caller
    read the agent's blocks already."""
    thread = thread or agent
    return RunState(
        agent=agent,
        thread=thread,
        run_id=run_id,
        buffer=load_buffer(thread),
        tools=load_tools(agent, client_tools),
        blocks=dict(agent.blocks.values_list("label", "id")) if blocks is None else blocks,
        rules=ToolRulesSolver(parse_rules(agent.tool_rules)),
        context_window=context_window_for(agent.model, agent.context_window_limit, agent.organization_id),
        max_steps=max_steps,
        stream_tokens=stream_tokens,
        ledger=TokenLedger(agent.model.split("/", 1)[-1]),
    )
