"""Writing one step: everything it produced lands in one transaction, or nothing does."""

from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from agents import services
from agents.llm import LLMResponse
from agents.models import Agent, Message, Run, Step
from agents.recall import search_messages
from agents.runtime.embeddings import lookup
from agents.runtime.state import RunState
from agents.runtime.system_message import refresh_system_message
from agents.runtime.tool_calls import PlannedCall, run_call, tool_return
from memory.services import EditActor
from tools.context import ToolContext


@dataclass(slots=True)
class StepOutcome:
    new_messages: list[Message] = field(default_factory=list)
    returns: list[dict] = field(default_factory=list)
    executed: list[str] = field(default_factory=list)  # names of tools that ran server-side
    system_refreshed: bool = False


def context_factory(state: RunState):
    return tool_context_factory(state.agent, state.blocks, state.embeddings)


def tool_context_factory(agent: Agent, blocks: dict[str, str], embeddings: dict[str, list[float]]):
    """Builds the ToolContext of each built-in tool call on `agent`; `blocks` (label -> id) is updated in place
    when a tool attaches a new block."""

    def attach(label: str, value: str, *, step_id, tool_call_id, tool_name) -> str:
        block_id = services.attach_new_block(
            agent, label, value, EditActor.agent(agent.id, step_id, tool_call_id, tool_name)
        )
        blocks[label] = block_id
        return block_id

    def build(*, step_id, tool_call_id, tool_name) -> ToolContext:
        return ToolContext(
            organization_id=agent.organization_id,
            agent_id=agent.id,
            step_id=step_id,
            tool_call_id=tool_call_id,
            tool_name=tool_name,
            blocks=blocks,
            timezone=agent.timezone,
            ensure_archive=lambda: services.ensure_archive(agent),
            attach_new_block=lambda label, value: attach(
                label, value, step_id=step_id, tool_call_id=tool_call_id, tool_name=tool_name
            ),
            search_messages=lambda *a, **kw: search_messages(agent.id, *a, tz=agent.timezone, **kw),
            embed_fn=lookup(embeddings) if embeddings else None,
            embedding_model=agent.embedding if embeddings else None,
        )

    return build


def _stamp(message: Message, state: RunState, step_id: str | None) -> Message:
    message.organization_id = state.organization_id
    message.agent_id = state.agent.id
    message.run_id = state.run_id
    message.step_id = step_id
    return message


def _save_buffer(state: RunState, messages: list[Message]) -> None:
    """Append newly saved messages to the context."""
    state.buffer.extend(messages)
    state.agent.append_to_context(messages)


def _execute(
    state: RunState,
    planned: list[PlannedCall],
    step_id: str | None,
    outcome: StepOutcome,
    decided: dict[str, dict] | None = None,
) -> None:
    """Run each call (or take the person's decision for it) and collect the returns, in call order."""
    build = context_factory(state)
    changed = False
    for item in planned:
        if decided and item.call.id in decided:
            ret = decided[item.call.id]
        elif item.call.id in state.ran_outside:
            ret = state.ran_outside[item.call.id]
            outcome.executed.append(item.name)
        else:
            # Rules are checked again at run time: an earlier call of this same response may have changed them.
            if item.error is None and (problem := state.rules.check_call(item.name, state.tool_names())):
                item.error = problem
            ret, result = run_call(state, item, step_id, build)
            if result is not None:
                outcome.executed.append(item.name)
                changed = changed or bool(result.changed_block_ids)
        state.rules.record_call(item.name, ret["func_response"])
        outcome.returns.append(ret)
    if changed:
        system = refresh_system_message(state.agent, force=True)
        if system is not None:
            state.buffer[0] = system
            outcome.system_refreshed = True


def _tool_message(state: RunState, step_id: str | None, returns: list[dict]) -> Message:
    return _stamp(
        Message(role=Message.Role.TOOL, tool_returns=returns, text="\n".join(str(r["func_response"]) for r in returns)),
        state,
        step_id,
    )


def _record_step(
    state: RunState,
    step_id: str,
    response: LLMResponse | None,
    *,
    status: str,
    estimated_prompt_tokens: int | None,
    timings: dict,
    error: dict | None = None,
) -> None:
    usage = response.usage if response else None
    Step.objects.create(
        id=step_id,
        organization_id=state.organization_id,
        run_id=state.run_id,
        agent_id=state.agent.id,
        model=response.model if response else state.agent.model.split("/", 1)[-1],
        model_handle=state.agent.model,
        context_window_limit=state.context_window,
        status=status,
        prompt_tokens=usage.prompt_tokens if usage else 0,
        completion_tokens=usage.completion_tokens if usage else 0,
        total_tokens=usage.total_tokens if usage else 0,
        cached_input_tokens=usage.cached_input_tokens if usage else 0,
        reasoning_tokens=usage.reasoning_tokens if usage else 0,
        usage_reported=usage.reported if usage else False,
        estimated_prompt_tokens=estimated_prompt_tokens,
        error_type=error and error.get("error_type"),
        error_data=error,
        **timings,
    )
    Run.objects.filter(pk=state.run_id).update(
        heartbeat_at=timezone.now(),
        step_count=F("step_count") + 1,
        prompt_tokens=F("prompt_tokens") + (usage.prompt_tokens if usage else 0),
        completion_tokens=F("completion_tokens") + (usage.completion_tokens if usage else 0),
        total_tokens=F("total_tokens") + (usage.total_tokens if usage else 0),
    )


@transaction.atomic
def persist_step(
    state: RunState,
    *,
    step_id: str,
    inputs: list[Message],
    assistant: Message,
    planned: list[PlannedCall],
    execute: bool,
    response: LLMResponse,
    estimated_prompt_tokens: int | None,
    timings: dict,
    extra: list[Message] = (),
) -> StepOutcome:
    outcome = StepOutcome()
    new = [_stamp(m, state, step_id) for m in inputs] + [_stamp(assistant, state, step_id)]
    for message in new:
        message.save()
    if execute and planned:
        _execute(state, planned, step_id, outcome)
        tool_message = _tool_message(state, step_id, outcome.returns)
        tool_message.save()
        new.append(tool_message)
    for message in extra:
        _stamp(message, state, step_id).save()
        new.append(message)
    _record_step(
        state,
        step_id,
        response,
        status=Step.Status.SUCCESS,
        estimated_prompt_tokens=estimated_prompt_tokens,
        timings=timings,
    )
    _save_buffer(state, new)
    outcome.new_messages = new
    return outcome


@transaction.atomic
def persist_approval_response(
    state: RunState, *, response: Message, planned: list[PlannedCall], decided: dict[str, dict]
) -> StepOutcome:
    """The person's answer to an approval request: run what was approved, record what was denied."""
    outcome = StepOutcome()
    _stamp(response, state, None).save()
    _execute(state, planned, None, outcome, decided)
    tool_message = _tool_message(state, None, outcome.returns)
    tool_message.save()
    outcome.new_messages = [response, tool_message]
    Run.objects.filter(pk=state.run_id).update(heartbeat_at=timezone.now())
    _save_buffer(state, outcome.new_messages)
    return outcome


def record_failed_step(
    state: RunState,
    *,
    step_id: str,
    error: dict | None,
    timings: dict,
    estimated_prompt_tokens: int | None,
    status: str = Step.Status.FAILED,
) -> None:
    """A step that stored no messages: its provider call failed, or the run was cancelled during it."""
    _record_step(
        state,
        step_id,
        None,
        status=status,
        error=error,
        estimated_prompt_tokens=estimated_prompt_tokens,
        timings=timings,
    )


def denied_return(call_id: str, name: str, reason: str | None) -> dict:
    return tool_return(
        call_id, name, "error", f"Error: request to call tool denied. User reason: {reason or 'none given'}"
    )


@transaction.atomic
def persist_compaction(state: RunState, *, cut: int, summary: str, stats: dict) -> Message:
    """Put the summary in place of buffer[1:cut]. The evicted rows stay stored: recall memory keeps them."""
    from agents.runtime.compaction import summary_text

    kept = state.buffer[cut:]
    hidden = state.agent.message_count - len(kept) - 1
    text = summary_text(summary, hidden=hidden, stats=stats)
    message = _stamp(
        Message(role=Message.Role.SUMMARY, content=[{"type": "text", "text": text}], text=text), state, None
    )
    message.save()
    state.buffer = [state.buffer[0], message, *kept]
    state.agent.replace_context(state.buffer, stored=1)
    # The memory metadata counts what moved to recall memory.
    if (system := refresh_system_message(state.agent, force=True)) is not None:
        state.buffer[0] = system
    return message
