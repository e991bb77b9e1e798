"""Storing what a step produced: its messages, its record, the refreshed system message and the context window.

The loop calls these inside the step's transaction, around the tool stage (`tool_calls.execute_calls`), so the
step's messages and the memory edits of its tools land together or not at all.
"""

import time

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from agents import traces
from agents.llm import LLMResponse, ProviderCall
from agents.models import Message, ProviderTrace, Run, Step
from agents.runtime.state import RunState
from agents.runtime.system_message import refresh_system_message
from agents.runtime.tool_calls import ExecutedCalls, tool_return


def _stamp(message: Message, state: RunState, step_id: str | None) -> Message:
    message.organization_id = state.organization_id
    message.agent_id = state.agent.id
    message.conversation_id = state.thread.conversation_id
    message.run_id = state.run_id
    message.step_id = step_id
    return message


def store_messages(state: RunState, step_id: str | None, messages: list[Message]) -> list[Message]:
    """Save the step's first messages (its input and the model's reply, or a person's approval answer), before
    its tools run: a conversation_search call in the step finds them, as it always has."""
    for message in messages:
        _stamp(message, state, step_id).save()
    return list(messages)


def _refresh_after_edits(state: RunState, calls: ExecutedCalls | None) -> None:
    """A tool changed a memory block: the system message shows the blocks, so recompile it now."""
    if calls is None or not calls.changed_block_ids:
        return
    if (system := refresh_system_message(state.agent, force=True, thread=state.thread)) is not None:
        state.buffer[0] = system


def _add_to_context(state: RunState, messages: list[Message]) -> None:
    state.buffer.extend(messages)
    state.thread.append_to_context(messages)


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
    started_ns: int,
    trace: ProviderCall | None,
    error: dict | None = None,
) -> None:
    """The step's record, its model call's trace and its run's counters. Its total time runs to here, so it
    covers the built-in tools that ran in this transaction."""
    usage = response.usage if response else None
    if trace is not None:
        traces.store(
            [trace],
            organization_id=state.organization_id,
            agent_id=state.agent.id,
            run_id=state.run_id,
            step_id=step_id,
        )
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
        ttft_ns=trace.ttft_ns if trace is not None else None,
        **timings,
        total_duration_ns=time.monotonic_ns() - started_ns,
    )
    stored_input = {"pending_input": None} if status == Step.Status.SUCCESS else {}
    Run.objects.filter(pk=state.run_id).update(
        **stored_input,
        heartbeat_at=timezone.now(),
        step_count=F("step_count") + 1,
        prompt_tokens=F("prompt_tokens") + (usage.prompt_tokens if usage else 0),
        completion_tokens=F("completion_tokens") + (usage.completion_tokens if usage else 0),
        total_tokens=F("total_tokens") + (usage.total_tokens if usage else 0),
    )


def persist_step(
    state: RunState,
    *,
    step_id: str,
    stored: list[Message],
    calls: ExecutedCalls | None,
    response: LLMResponse,
    estimated_prompt_tokens: int | None,
    timings: dict,
    started_ns: int,
    extra: list[Message] = (),
) -> list[Message]:
    """Finish a step after its tools ran: their returns, any reminder, the step's record, the system message
    (when memory changed) and the context window. Returns the step's new messages, `stored` first."""
    rest = [_tool_message(state, step_id, calls.returns)] if calls is not None else []
    rest += [_stamp(m, state, step_id) for m in extra]
    for message in rest:
        message.save()
    _refresh_after_edits(state, calls)
    if calls is not None:
        # The sandboxed tools' wall time (measured by the loop) plus the built-in ones that ran here.
        tool_ns = (timings.get("tool_duration_ns") or 0) + calls.inside_ns
        timings = {**timings, "tool_duration_ns": tool_ns, "tool_timings": calls.timings}
    _record_step(
        state,
        step_id,
        response,
        status=Step.Status.SUCCESS,
        estimated_prompt_tokens=estimated_prompt_tokens,
        timings=timings,
        started_ns=started_ns,
        trace=response.trace,
    )
    new = [*stored, *rest]
    _add_to_context(state, new)
    return new


def persist_approval_response(state: RunState, *, stored: list[Message], calls: ExecutedCalls) -> list[Message]:
    """Finish the person's answer to an approval request after the approved calls ran: the returns of what was
    approved and of what was denied, and the context window."""
    new = [*stored, _tool_message(state, None, calls.returns)]
    new[-1].save()
    _refresh_after_edits(state, calls)
    Run.objects.filter(pk=state.run_id).update(heartbeat_at=timezone.now(), pending_input=None)
    _add_to_context(state, new)
    return new


def record_failed_step(
    state: RunState,
    *,
    step_id: str,
    error: dict | None,
    timings: dict,
    estimated_prompt_tokens: int | None,
    started_ns: int,
    trace: ProviderCall | None,
    status: str = Step.Status.FAILED,
) -> None:
    """A step that stored no messages: its provider call failed, or the run was cancelled during it. Its trace
    (the error, or what arrived before the cancel) is kept."""
    _record_step(
        state,
        step_id,
        None,
        status=status,
        error=error,
        estimated_prompt_tokens=estimated_prompt_tokens,
        timings=timings,
        started_ns=started_ns,
        trace=trace,
    )


def denied_return(call_id: str, name: str, reason: str | None) -> dict:
    return tool_return(
        call_id, name, "error", f"Error: request to call tool denied. User reason: {reason or 'none given'}"
    )


@transaction.atomic
def persist_compaction(
    state: RunState, *, cut: int, summary: str, stats: dict, calls: list[ProviderCall], step_id: str | None
) -> Message:
    """Put the summary in place of buffer[1:cut]. The evicted rows stay stored: recall memory keeps them. The
    summarizer's calls are kept as traces."""
    from agents.runtime.compaction import summary_text

    store_traces(state, calls, step_id, ProviderTrace.CallType.SUMMARIZATION)

    kept = state.buffer[cut:]
    hidden = state.thread.message_count - len(kept) - 1
    text = summary_text(summary, hidden=hidden, stats=stats)
    message = _stamp(
        Message(role=Message.Role.SUMMARY, content=[{"type": "text", "text": text}], text=text), state, None
    )
    message.save()
    state.buffer = [state.buffer[0], message, *kept]
    state.thread.replace_context(state.buffer, stored=1)
    # The memory metadata counts what moved to recall memory.
    if (system := refresh_system_message(state.agent, force=True, thread=state.thread)) is not None:
        state.buffer[0] = system
    return message


def store_traces(
    state: RunState,
    calls: list[ProviderCall],
    step_id: str | None,
    call_type: str = ProviderTrace.CallType.AGENT_STEP,
) -> None:
    """Keep the traces of model calls made for this run: a step's, or a compaction's summarizer calls."""
    traces.store(
        calls,
        organization_id=state.organization_id,
        agent_id=state.agent.id,
        run_id=state.run_id,
        step_id=step_id,
        call_type=call_type,
    )
