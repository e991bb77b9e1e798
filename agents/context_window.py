"""The context window overview (Letta's ContextWindowOverview): the agent's next request, section by section.

A selector: it reads and never writes. The request is built by the loop's own pieces (the run state loaded as a
run loads it, `build_request`, the stored system message, the clients' `build_params` through
`agents.llm.preview`), so the overview shows what would really be sent rather than a second rendering of it.

Counting: `agents.tokens.count_request` over the OpenAI form of that request, for every provider (with the
fallback encoding, flagged as estimates, for models tiktoken does not know). `context_window_size_current` is that
count, and the section counts add up to it exactly: each section of the system text counts as its own text, the
summary and each message as their framed chat messages, the tools as their schemas, and `system` takes the rest
(the instructions plus separators, the system message's frame and the reply priming).
"""

from __future__ import annotations

from dataclasses import dataclass

from agents.llm.preview import wire_request
from agents.models import Agent, ContextWindow, Message, Step
from agents.providers import describe
from agents.runtime.inputs import normalize, to_rows
from agents.runtime.loop import build_request
from agents.runtime.prompt import METADATA_CLOSE, METADATA_OPEN, BlockView, render_blocks, render_rules
from agents.runtime.state import RunState, load_run_state
from agents.runtime.system_message import block_views, is_current, render_system, rules_text, system_content
from agents.runtime.transcript import text_of
from agents.tokens import count_request, count_text, count_tools, count_wire_message, encoding_name
from memory.models import Passage


@dataclass(frozen=True, slots=True)
class SystemSections:
    system_prompt: str
    core_memory: str
    tool_usage_rules: str | None
    external_memory_summary: str


def context_overview(agent: Agent, pending_user_text: str | None = None, thread: ContextWindow | None = None) -> dict:
    """The overview of the request the agent's next step would send in a thread (its default one unless a
    conversation is given, already loaded by `agents.threads.load_thread` so its model settings apply).

    With `pending_user_text`, the request that sending that text as a user message would start (the loop's first
    step of that run, the new message in the messages section); without it, the in-context buffer as it stands.
    A handful of queries, however long the stored history.
    """
    # The handle as the loop resolves it: the raw request is built for the client and address it would use.
    config = describe(agent.model, agent.organization_id, context_window_limit=agent.context_window_limit)
    model = config.model
    thread = thread or agent
    # A preview belongs to no run; otherwise the state is the one a run starts from.
    state = load_run_state(agent, "", max_steps=1, stream_tokens=False, client_tools=None, thread=thread)
    blocks, rules = block_views(agent), rules_text(agent)
    has_system = bool(state.buffer) and state.buffer[0].role == Message.Role.SYSTEM
    if has_system and not is_current(thread, blocks, rules):
        _use_recompiled_system(agent, state, blocks)
    system_text = text_of(state.buffer[0].content) if has_system else ""
    pending = to_rows(normalize(None, pending_user_text)) if pending_user_text is not None else []
    request = build_request(state, model, pending)

    # The OpenAI form is the one the counting method is defined on; the raw request is the provider's own.
    counted = wire_request("openai", request, stream=False)
    wire_messages, tools = counted["messages"], counted.get("tools", [])
    first = 1 if has_system else 0  # in both lists: the buffer's system message is the first chat message
    has_summary = len(state.buffer) > first and state.buffer[first].role == Message.Role.SUMMARY
    start = first + 1 if has_summary else first  # where the conversation begins, in both lists
    rows = [*state.buffer[start:], *pending]

    sections = split_system(system_text, blocks, rules)
    core = _tokens(sections.core_memory, model)
    rules_tokens = _tokens(sections.tool_usage_rules, model)
    metadata = _tokens(sections.external_memory_summary, model)
    summary = count_wire_message(wire_messages[first], model) if has_summary else 0
    messages = sum(count_wire_message(m, model) for m in wire_messages[start:])
    functions = count_tools(tools, model)
    total = count_request(wire_messages, tools, model)
    return {
        "context_window_size_max": state.context_window,
        "context_window_size_current": total.tokens,
        "num_messages": len(state.buffer) + len(pending),
        "num_archival_memory": _archival_count(agent),
        # Letta counts every stored message of the thread here (its memory metadata shows total - in context).
        "num_recall_memory": thread.message_count,
        "num_tokens_system": total.tokens - core - rules_tokens - metadata - summary - messages - functions,
        "system_prompt": sections.system_prompt,
        "num_tokens_core_memory": core,
        "core_memory": sections.core_memory,
        "num_tokens_memory_filesystem": 0,
        "memory_filesystem": None,
        "num_tokens_tool_usage_rules": rules_tokens,
        "tool_usage_rules": sections.tool_usage_rules,
        "num_tokens_directories": 0,
        "directories": None,
        "num_tokens_external_memory_summary": metadata,
        "external_memory_summary": sections.external_memory_summary,
        "num_tokens_summary_memory": summary,
        "summary_memory": text_of(state.buffer[first].content) if has_summary else None,
        "num_tokens_functions_definitions": functions,
        "functions_definitions": tools,
        "num_tokens_messages": messages,
        "messages": [_message(row, agent) for row in rows],
        # Beyond Letta's shape: which thread this is (None: the agent's default one), how far to trust the counts,
        # and the provider's own last figure.
        "conversation_id": thread.conversation_id,
        "token_counts_are_estimates": config.counts_are_estimates,
        "tokenizer": encoding_name(model),
        "raw_request": wire_request(config.provider.client_kind, request, base_url=config.provider.base_url),
        "last_reported_prompt_tokens": _last_reported_prompt_tokens(agent),
    }


def split_system(text: str, blocks: list[BlockView], rules: str) -> SystemSections:
    """Cut the system text into the sections compile_system put in it.

    Blocks and rules are found as their rendered text (the stored message is current, so they render the same);
    the metadata section carries the recompile time and counters of its day, so it is found by its tags, after
    the sections that precede it. The instructions are what remains around them.
    """
    spans: dict[str, tuple[int, int]] = {}
    cursor = 0
    for name, rendered in (("core_memory", render_blocks(blocks)), ("tool_usage_rules", render_rules(rules))):
        at = text.find(rendered, cursor) if rendered else -1
        if at >= 0:
            spans[name] = (at, at + len(rendered))
            cursor = at + len(rendered)
    at = text.find(METADATA_OPEN, cursor)
    end = text.find(METADATA_CLOSE, at) if at >= 0 else -1
    if end >= 0:
        spans["external_memory_summary"] = (at, end + len(METADATA_CLOSE))
    if spans:
        start, stop = min(s for s, _ in spans.values()), max(e for _, e in spans.values())
        instructions = (text[:start] + text[stop:]).strip()
    else:
        instructions = text

    def section(name: str) -> str:
        return text[slice(*spans[name])] if name in spans else ""

    return SystemSections(
        system_prompt=instructions,
        core_memory=section("core_memory"),
        tool_usage_rules=section("tool_usage_rules") or None,
        external_memory_summary=section("external_memory_summary"),
    )


def _use_recompiled_system(agent: Agent, state: RunState, blocks: list[BlockView]) -> None:
    """Memory changed outside a run: the loop recompiles the system message before its first step, so the
    overview shows a dry run of that recompile (unsaved) in its place."""
    stored = state.buffer[0]
    text, _ = render_system(agent, blocks, state.thread)
    state.buffer[0] = Message(
        id=stored.id,
        agent_id=agent.id,
        role=Message.Role.SYSTEM,
        content=system_content(text),
        text=text,
        created_at=stored.created_at,
    )


def _tokens(text: str | None, model: str) -> int:
    return count_text(text, model).tokens if text else 0


def _archival_count(agent: Agent) -> int:
    return Passage.objects.filter(archive_id=agent.archive_id).count() if agent.archive_id else 0


def _last_reported_prompt_tokens(agent: Agent) -> int | None:
    steps = Step.objects.filter(agent=agent, status=Step.Status.SUCCESS, usage_reported=True)
    return steps.order_by("-created_at").values_list("prompt_tokens", flat=True).first()


def _message(row: Message, agent: Agent) -> dict:
    """A stored message in the shape of Letta's Message (what ContextWindowOverview.messages holds)."""
    return {
        "id": row.id,
        "agent_id": agent.id,
        "role": row.role,
        "content": row.content,
        "name": row.name,
        "tool_calls": row.tool_calls,
        "tool_call_id": row.tool_call_id,
        "tool_returns": row.tool_returns,
        "approvals": row.approvals,
        "approval_request_id": row.approval_request_id,
        "approve": row.approve,
        "denial_reason": row.denial_reason,
        "model": row.model,
        "step_id": row.step_id,
        "run_id": row.run_id,
        "created_at": row.created_at.isoformat(),
    }
