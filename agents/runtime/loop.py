"""The agent loop: one run = the input, then up to max_steps steps of compile -> model -> tools -> persist -> emit.

Async throughout: awaiting the provider holds no thread and no database connection. Each stage crosses into
synchronous Django code once (`sync_to_async` around a function doing the stage's reads, or the step's writes in
one transaction): a one-step send crosses four times (the request's check, `_start`, the step's write, the finish),
since each crossing costs a thread hand-off and a wake-up of the event loop. The thread keeps the connection its
stages opened, so the stage before each wait gives it back to the pool (`released`, letta_project/db.py): the
start and each step's write, and each cancel check made while the provider is awaited. A cancel is seen through the
run's signal in this process and through the flag each step's write reads, never by a query of its own between
steps.
"""

import asyncio
import functools
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace

from asgiref.sync import sync_to_async
from django.db import transaction

from accounts.ids import new_id
from agents import traces
from agents.llm import (
    Delta,
    LLMContextWindowExceededError,
    LLMError,
    LLMRequest,
    LLMResponse,
    ProviderCall,
    ToolCall,
)
from agents.llm.errors import stated_context_window
from agents.models import Agent, Message, Run, Step
from agents.providers import ModelConfigError, aresolve, output_cap
from agents.runtime import compaction, leases, persist, run_lifecycle
from agents.runtime.embeddings import prepare_embeddings
from agents.runtime.emitter import Emitter, EventSink, Stop
from agents.runtime.errors import InvalidApprovalError, NoPendingApprovalError, PendingApprovalError, RunRefused
from agents.runtime.inputs import approvals_of, normalize, rows_as_json, rows_from_json, to_rows
from agents.runtime.persist import denied_return
from agents.runtime.request_options import RequestOptions, system_for_request
from agents.runtime.sandboxed import run_custom_tools
from agents.runtime.state import RunState, load_run_state
from agents.runtime.system_message import agent_blocks, refresh_system_message, views_of
from agents.runtime.tool_calls import ExecutedCalls, PlannedCall, execute_calls, plan_calls, tool_return
from agents.runtime.transcript import to_chat_messages
from agents.threads import load_thread, thread_agent
from letta_project.db import release_connection, released

log = logging.getLogger(__name__)

DEFAULT_MAX_STEPS = 50
# A provider that reports a context overflow gets the context compacted and the call retried, this many times.
MAX_OVERFLOW_RETRIES = 3


@dataclass(slots=True)
class RunResult:
    run_id: str
    stop_reason: str
    messages: list[dict]
    usage: dict
    error: dict | None = None
    pending_approval: list[str] = field(default_factory=list)

    def response(self) -> dict:
        """The LettaResponse body."""
        return {
            "messages": self.messages,
            "stop_reason": {"message_type": "stop_reason", "stop_reason": self.stop_reason},
            "usage": {"message_type": "usage_statistics", **self.usage},
        }


# ----------------------------------------------------------------------------------------------- begin


def _begin(
    agent: Agent,
    inputs: list[dict],
    run_id: str,
    *,
    max_steps: int,
    stream_tokens: bool,
    client_tools: list[dict] | None,
    conversation_id: str | None = None,
) -> RunState:
    """Load the run state of the agent's thread, check the request against it and refresh its system message."""
    thread = load_thread(agent, conversation_id)
    blocks = agent_blocks(agent)
    state = load_run_state(
        agent,
        run_id,
        max_steps=max_steps,
        stream_tokens=stream_tokens,
        client_tools=client_tools,
        thread=thread,
        blocks={b.label: b.id for b in blocks},
    )
    pending = run_lifecycle.waiting_approval(state.buffer[-1] if len(state.buffer) > 1 else None)
    approvals = approvals_of(inputs)
    if approvals is None and pending is not None:
        names = [c["function"]["name"] for c in pending.tool_calls]
        raise PendingApprovalError(agent.id, pending.id, names)
    if approvals is not None and pending is None:
        raise NoPendingApprovalError()
    if (system := refresh_system_message(agent, thread=thread, blocks=views_of(blocks))) is not None:
        state.buffer[0] = system
    # Old traces are swept here, as runs start, at most once a minute (no query on most runs).
    traces.prune_if_due(agent.organization_id)
    return state


def _decisions(state: RunState, inputs: list[dict]):
    """A person's answers to the pending approval request, checked (`_decide`), or None for other input."""
    approvals = approvals_of(inputs)
    return _decide(state, state.buffer[-1], approvals) if approvals is not None else None


@released  # the run's first stage: the model is waited for next
def _start(agent: Agent, inputs: list[dict], start: dict, begin: dict) -> tuple[Run, RunState, tuple | None]:
    """Take the thread's run slot (`start`: try_start_run's arguments) and load and check what the run needs, in one
    crossing into synchronous code: the run, its state and the checked approval answers. A request refused once the
    slot is taken (a pending approval, bad answers) leaves no run behind."""
    run = run_lifecycle.try_start_run(agent, **start)
    try:
        state = _begin(run.agent, inputs, run.id, **begin)
        return run, state, _decisions(state, inputs)
    except BaseException:
        run_lifecycle.discard_run(run.id)
        raise


@released
def _resume(run_id: str, organization_id: str | None, inputs: list[dict], begin: dict):
    """A worker's start of a run accepted earlier (`queue_run`): the run, its state and the checked approval answers.
    A refusal now leaves the run for the caller to end: its id was answered already."""
    run = Run.objects.get(pk=run_id)
    state = _begin(run_lifecycle.get_agent(run.agent_id, organization_id), inputs, run_id, **begin)
    state.cancel_requested = run.cancel_requested
    return run, state, _decisions(state, inputs)


async def _check_request(
    agent_id: str,
    messages: list[dict] | None,
    input: str | None,
    organization_id: str | None,
    max_steps: int | None,
    conversation_id: str | None,
    options: RequestOptions | None,
):
    """What a request is checked for before its run takes the thread: (inputs, agent, max_steps, options, model)."""
    inputs = normalize(messages, input)
    if max_steps is not None and max_steps < 1:
        raise RunRefused("max_steps must be at least 1.")
    agent = await sync_to_async(thread_agent)(agent_id, organization_id, conversation_id)
    max_steps = max_steps or agent.max_steps or DEFAULT_MAX_STEPS
    options = options or RequestOptions()
    try:
        model = await aresolve(options.override_model or agent.model, agent.organization_id)
    except ModelConfigError as exc:
        prefix = "override_model: " if options.override_model else ""
        raise RunRefused(prefix + str(exc)) from exc
    return inputs, agent, max_steps, options, model


async def queue_run(
    agent_id: str,
    messages: list[dict] | None = None,
    *,
    input: str | None = None,
    organization_id: str | None = None,
    max_steps: int | None = None,
    stream_tokens: bool = False,
    client_tools: list[dict] | None = None,
    wait: bool = False,
    callback_url: str | None = None,
    conversation_id: str | None = None,
    options: RequestOptions | None = None,
    metadata: dict | None = None,
) -> Run:
    """Check a background run's request as `run_agent` does and take the thread's run slot for it, without running
    it: the run waits, queued (active, no lease yet), until a worker runs it with `run_agent(run_id=...)`. Raises
    RunRefused as `run_agent` does, leaving no run behind."""
    inputs, agent, max_steps, options, _ = await _check_request(
        agent_id, messages, input, organization_id, max_steps, conversation_id, options
    )
    start = {
        "request_config": {"max_steps": max_steps, "stream_tokens": stream_tokens},
        "background": True,
        "callback_url": callback_url,
        "conversation_id": conversation_id,
        "pending_input": rows_as_json(to_rows(inputs)),
        "queued": True,
        "metadata": metadata,
    }
    begin = _begin_options(max_steps, stream_tokens, client_tools, conversation_id)
    run, _, _ = await run_lifecycle.wait_for_slot(functools.partial(_start, agent, inputs, start, begin), wait=wait)
    return run


def _begin_options(max_steps: int, stream_tokens: bool, client_tools: list[dict] | None, conversation_id: str | None):
    return {
        "max_steps": max_steps,
        "stream_tokens": stream_tokens,
        "client_tools": client_tools,
        "conversation_id": conversation_id,
    }


async def run_agent(
    agent_id: str,
    messages: list[dict] | None = None,
    *,
    input: str | None = None,
    organization_id: str | None = None,
    max_steps: int | None = None,
    stream_tokens: bool = False,
    client_tools: list[dict] | None = None,
    wait: bool = False,
    on_event: EventSink | None = None,
    on_start: Callable[[str], Awaitable[None]] | None = None,
    background: bool = False,
    callback_url: str | None = None,
    conversation_id: str | None = None,
    options: RequestOptions | None = None,
    run_id: str | None = None,
) -> RunResult:
    """Run the agent on new input, in its default thread or the conversation named. Raises RunRefused (before
    anything is stored) for a bad request.

    `on_start(run_id)` is awaited once the request is accepted and its run exists, before the first step: a
    caller that does not wait for the run's end (a background run) answers then. `options` are what this request
    alone asks for (the client's skills, another model, compaction in the response); nothing of them is stored.
    With `run_id`, the run was accepted earlier by `queue_run` and taken by this process (a worker): it is run
    as it is, and a refusal now leaves it for the caller to end (its id was answered already)."""
    inputs, agent, max_steps, options, model = await _check_request(
        agent_id, messages, input, organization_id, max_steps, conversation_id, options
    )
    begin = _begin_options(max_steps, stream_tokens, client_tools, conversation_id)
    if run_id is not None:
        run, state, decisions = await sync_to_async(_resume)(run_id, organization_id, inputs, begin)
        # The ids the input was accepted under, so its messages are stored as the run's record says.
        rows = rows_from_json(run.pending_input) if run.pending_input else to_rows(inputs)
    else:
        rows = to_rows(inputs)
        start = {
            "request_config": {"max_steps": max_steps, "stream_tokens": stream_tokens},
            "background": background,
            "callback_url": callback_url,
            "conversation_id": conversation_id,
            "pending_input": rows_as_json(rows),
        }
        run, state, decisions = await run_lifecycle.wait_for_slot(
            functools.partial(_start, agent, inputs, start, begin), wait=wait
        )
    state.options = options
    # From here to its end, this process owns the run and answers a cancel asked of it at once.
    with leases.hold(run.id), run_lifecycle.cancel_signal(run.id) as state.cancel_signal:
        if on_start is not None:
            await on_start(run.id)
        emit = Emitter(state, on_event)
        started = time.monotonic_ns()
        await emit.run_started(rows)
        try:
            stop = await _drive(state, model, rows, decisions, emit)
        except Exception as exc:  # a bug or a lost database: the step's transaction rolled back; say what happened
            log.exception("run %s failed", run.id)
            stop = Stop("error", {"error_type": "internal_error", "message": f"{type(exc).__name__}: {exc}"})
        ended = time.monotonic_ns()
        ttft = state.first_token_ns - started if state.first_token_ns else None
        finished = await sync_to_async(run_lifecycle.finish_run)(
            run.id, state.agent.id, stop.reason, started_ns=started, ended_ns=ended, ttft_ns=ttft, error=stop.error
        )
        usage = {**_usage_of(state), "run_ids": [run.id]}
        if stop.error:
            await emit({"message_type": "error_message", "run_id": run.id, **stop.error})
        # The stored reason: a cancel acknowledged after the last check still ends the run as cancelled.
        reason = finished.stop_reason
        await emit({"message_type": "stop_reason", "stop_reason": reason})
        await emit({"message_type": "usage_statistics", **usage})
        await emit.run_finished(finished)
        await _after_turn(state, finished)
        return RunResult(run_id=run.id, stop_reason=reason, messages=state.messages_out, usage=usage, error=stop.error)


async def _after_turn(state: RunState, finished) -> None:
    """Count the finished turn for the agent's sleep-time agent, which runs in the background when it is due
    (agents/sleeptime.py; imported here because it starts runs through background, which imports this module)."""
    from agents import sleeptime

    await sleeptime.after_turn(state.agent, finished)


async def _drive(state: RunState, model, pending_rows: list[Message], decisions, emit: Emitter) -> Stop:
    if decisions is not None:
        stop = await _answer_approval(state, *decisions, emit)
        if stop:
            return stop
    for _ in range(state.max_steps):
        # Asked of this process (its signal), or of another one (the flag, as the last step's write read it).
        if state.cancel_signal.is_set() or state.cancel_requested:
            return Stop("cancelled")
        stop = await _step(state, model, pending_rows, emit)
        pending_rows = []
        if stop:
            return stop
    return Stop("max_steps")


# ----------------------------------------------------------------------------------------------- steps


def build_request(state: RunState, model_name: str, pending_rows: list[Message]) -> LLMRequest:
    available = state.tool_names()
    allowed = state.rules.allowed_tools(available)
    forced = state.rules.forced_tool(available)
    agent = state.agent
    messages = to_chat_messages([*state.buffer, *pending_rows])
    if messages and messages[0].role == "system":
        messages[0] = replace(messages[0], content=system_for_request(messages[0].content or "", state.options))
    return LLMRequest(
        model=model_name,
        messages=messages,
        tools=[state.tools[name].spec() for name in allowed],
        tool_choice=forced or "auto",
        temperature=agent.temperature,
        max_tokens=output_cap(agent.max_tokens, state.context_window),
        parallel_tool_calls=agent.parallel_tool_calls,
    )


def _assistant_row(response: LLMResponse, message_id: str) -> Message:
    content = []
    if response.reasoning:
        content.append(
            {
                "type": "reasoning",
                "is_native": True,
                "reasoning": response.reasoning,
                "signature": response.reasoning_signature,
            }
        )
    if response.content:
        content.append({"type": "text", "text": response.content})
    calls = [
        {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
        for c in response.tool_calls
    ]
    return Message(
        id=message_id,
        role=Message.Role.ASSISTANT,
        content=content,
        tool_calls=calls or None,
        text=response.content or "",
        model=response.model,
    )


def _delta_forwarder(state: RunState, emit: Emitter, message_id: str, step_id: str):
    base = {"id": message_id, "run_id": state.run_id, "step_id": step_id}
    call_ids: dict[int, str] = {}

    async def on_delta(delta: Delta) -> None:
        if state.first_token_ns is None:
            state.first_token_ns = time.monotonic_ns()
        if not state.stream_tokens:
            return
        if delta.kind == "content":
            await emit.delta({**base, "message_type": "assistant_message", "content": delta.text})
        elif delta.kind == "reasoning":
            await emit.delta(
                {**base, "message_type": "reasoning_message", "reasoning": delta.text, "source": "reasoner_model"}
            )
        elif delta.kind == "tool_call":
            if delta.tool_call_id:
                call_ids[delta.tool_call_index] = delta.tool_call_id
            piece = {
                "name": delta.tool_name,
                "arguments": delta.text or None,
                "tool_call_id": call_ids.get(delta.tool_call_index),
            }
            await emit.delta({**base, "message_type": "tool_call_message", "tool_call": piece, "tool_calls": piece})

    return on_delta


async def _step(state: RunState, model, pending_rows: list[Message], emit: Emitter) -> Stop | None:
    step_id, message_id = new_id("step"), new_id("message")
    step_started = time.monotonic_ns()
    request = build_request(state, model.model, pending_rows)
    if not state.ledger.fits(
        [*state.buffer, *pending_rows], request.tools, compaction.TRIGGER_FRACTION * state.context_window
    ):
        if stop := await compaction.compact(state, model, emit, step_id=step_id, pending_rows=pending_rows):
            return stop
        request = build_request(state, model.model, pending_rows)
        if stop := await compaction.check_floor(state, request, pending_rows):
            return stop
        await sync_to_async(release_connection)()  # compaction wrote; the model call is waited for without it
    started = time.monotonic_ns()
    # Streamed only when someone reads the tokens, or to an API known to stream tool calls: some servers
    # (llama-cpp-python) cannot stream with tools.
    stream = state.stream_tokens or model.provider.streams_tool_calls
    on_delta = _delta_forwarder(state, emit, message_id, step_id) if stream else None
    for attempt in range(MAX_OVERFLOW_RETRIES + 1):
        # The loop holds the call's record itself: a cancelled call never returns, but what it sent and what
        # had arrived is still the step's trace.
        call = ProviderCall()
        try:
            response = await _unless_cancelled(state, model.client.complete(request, on_delta=on_delta, call=call))
            break
        except _Cancelled:
            call.ended_ns = time.monotonic_ns()
            call.error = {"status": None, "type": "cancelled", "message": "The run was cancelled during this call."}
            await sync_to_async(persist.record_failed_step)(
                state,
                step_id=step_id,
                error=None,
                estimated_prompt_tokens=None,
                status=Step.Status.CANCELLED,
                timings={"llm_duration_ns": time.monotonic_ns() - started},
                started_ns=step_started,
                trace=call,
            )
            return Stop("cancelled")
        except LLMContextWindowExceededError as exc:
            # The provider counts differently than we estimate: compact and try again, a bounded number of times.
            if attempt < MAX_OVERFLOW_RETRIES:
                # Kept now, so the step's calls and the compaction between them read back in the order they ran.
                await sync_to_async(persist.store_traces)(state, [call], step_id)
                if not (
                    stop := await compaction.compact(
                        state,
                        model,
                        emit,
                        trigger="provider_overflow",
                        step_id=step_id,
                        pending_rows=pending_rows,
                        window_hint=_enforced_window(state, exc, request, pending_rows),
                    )
                ):
                    request = build_request(state, model.model, pending_rows)
                    continue
                return await _fail_step(state, step_id, exc, started, step_started, trace=None)
            return await _fail_step(state, step_id, exc, started, step_started, trace=call)
        except LLMError as exc:
            return await _fail_step(state, step_id, exc, started, step_started, trace=call)
    llm_ns = time.monotonic_ns() - started
    # Without a provider figure, our own count (the overview's method) is what the step records.
    estimated = None if response.usage.reported else state.ledger.request([*state.buffer, *pending_rows], request.tools)
    _add_usage(state, response)
    calls = response.tool_calls if state.agent.parallel_tool_calls else response.tool_calls[:1]
    response.tool_calls = calls
    planned = plan_calls(state, calls)
    needs_approval = any(p.needs_approval for p in planned)
    tools_began = time.monotonic_ns()
    if not needs_approval:
        await prepare_embeddings(state, planned)
        await run_custom_tools(state, planned)
    outside_ns = time.monotonic_ns() - tools_began
    assistant = _assistant_row(response, message_id)
    extra: list[Message] = []
    stop: Stop | None = None
    if needs_approval:
        assistant.role = Message.Role.APPROVAL
        stop = Stop("requires_approval")
    elif not calls:
        unmet = state.rules.unmet_required_before_exit(state.tool_names())
        if response.finish_reason == "length":
            stop = Stop("max_tokens_exceeded")
        elif unmet:
            extra.append(
                Message(
                    role=Message.Role.USER, content=[{"type": "text", "text": _reminder(unmet)}], text=_reminder(unmet)
                )
            )
        else:
            stop = Stop("end_turn")
    new, calls = await sync_to_async(released(_write_step))(
        state,
        step_id=step_id,
        asked=[*pending_rows, assistant],
        planned=planned if not needs_approval else [],
        response=response,
        estimated_prompt_tokens=estimated,
        timings={"llm_duration_ns": llm_ns, "tool_duration_ns": outside_ns if planned and not needs_approval else None},
        started_ns=step_started,
        extra=extra,
    )
    state.step_count += 1
    pending = {p.call.id for p in planned if p.needs_approval} if needs_approval else None
    await emit.messages(new[len(pending_rows) :], skip_assistant_parts=state.stream_tokens, pending=pending)
    await emit.step_finished(step_id, calls.changed_block_ids if calls else [])
    if stop:
        return stop
    if calls is not None and any(state.rules.is_terminal(name) for name in calls.ran):
        return Stop("tool_rule")
    return None


@transaction.atomic
def _write_step(
    state: RunState, *, step_id: str, asked: list[Message], planned: list[PlannedCall], **finish
) -> tuple[list[Message], ExecutedCalls | None]:
    """A step's writes, in one transaction, so a step that fails leaves none of them: store what was asked (the
    input and the model's reply), execute the built-in tools (their memory edits), then persist their returns,
    the step's record and the context window."""
    stored = persist.store_messages(state, step_id, asked)
    calls = execute_calls(state, planned, step_id) if planned else None
    new = persist.persist_step(state, step_id=step_id, stored=stored, calls=calls, **finish)
    state.cancel_requested = run_lifecycle.is_cancel_requested(state.run_id)
    return new, calls


class _Cancelled(Exception):
    pass


async def _unless_cancelled(state: RunState, call):
    """Await the provider call, but give up on it when the run is cancelled meanwhile: at once when the cancel
    is requested in this process (its signal), else when the database flag says so (another process asked).
    The first look at the flag comes after CANCEL_FIRST_CHECK, so quick calls cost no query."""
    task = asyncio.ensure_future(call)
    delay = run_lifecycle.CANCEL_FIRST_CHECK
    signalled = asyncio.ensure_future(state.cancel_signal.wait())
    try:
        while True:
            done, _ = await asyncio.wait({task, signalled}, timeout=delay, return_when=asyncio.FIRST_COMPLETED)
            if task in done:
                return task.result()
            if signalled in done or await sync_to_async(released(run_lifecycle.is_cancel_requested))(state.run_id):
                raise _Cancelled()
            delay = run_lifecycle.CANCEL_CHECK_INTERVAL
    finally:
        signalled.cancel()
        if not task.done():
            task.cancel()


async def _fail_step(
    state: RunState, step_id: str, exc: LLMError, started: int, step_started: int, *, trace: ProviderCall | None
) -> Stop:
    error = {"error_type": exc.error_type, "message": exc.message, "detail": exc.detail}
    await sync_to_async(persist.record_failed_step)(
        state,
        step_id=step_id,
        error=error,
        estimated_prompt_tokens=None,
        timings={"llm_duration_ns": time.monotonic_ns() - started},
        started_ns=step_started,
        trace=trace,
    )
    return Stop("llm_api_error", error)


# ----------------------------------------------------------------------------------------------- compaction


def _reminder(tools: list[str]) -> str:
    return f"[System reminder] Before ending your turn you must call: {', '.join(tools)}."


def _enforced_window(state: RunState, exc: LLMError, request: LLMRequest, pending_rows: list[Message]) -> int:
    """The window a provider that refused a request as too long enforces: the one its error names, else at most
    what we sent (a server may serve less than the agent was told: a local model started with a small n_ctx)."""
    stated = stated_context_window(exc.message, exc.detail)
    return stated or state.ledger.request([*state.buffer, *pending_rows], request.tools)


def _add_usage(state: RunState, response: LLMResponse) -> None:
    usage = response.usage
    if not usage.reported:
        return
    state.usage_reported = True
    for key in ("prompt_tokens", "completion_tokens", "total_tokens", "cached_input_tokens", "reasoning_tokens"):
        state.usage[key] += getattr(usage, key) or 0


def _usage_of(state: RunState) -> dict:
    """The run's usage: token counts are None (unknown) when its steps' provider reported none, not zeros."""
    counts = state.usage if state.usage_reported or not state.step_count else dict.fromkeys(state.usage)
    return {**counts, "step_count": state.step_count}


# ----------------------------------------------------------------------------------------------- approvals


def _decide(state: RunState, request: Message, approvals: list[dict]):
    """Check the person's answers against the pending request: (request, answers, planned calls, decided returns)."""
    planned = plan_calls(state, _as_tool_calls(request))
    waiting = {p.call.id: p for p in planned if p.needs_approval}
    by_id = {a.get("tool_call_id"): a for a in approvals}
    if list(by_id) == [None] and len(waiting) == 1:  # legacy single approve/deny without ids
        by_id = {next(iter(waiting)): {**approvals[0], "tool_call_id": next(iter(waiting))}}
    unknown = [i for i in by_id if i not in waiting]
    missing = [i for i in waiting if i not in by_id]
    if unknown or missing:
        raise InvalidApprovalError(
            f"Invalid tool call IDs. Expected {sorted(waiting)}, got {sorted(str(i) for i in by_id)}."
        )
    decided: dict[str, dict] = {}
    for call_id, answer in by_id.items():
        item = waiting[call_id]
        if answer.get("type") == "tool":
            status = answer.get("status", "success")
            if status not in ("success", "error"):
                raise InvalidApprovalError(f"Tool return status must be 'success' or 'error', not '{status}'.")
            value = answer.get("tool_return")
            text = value if isinstance(value, str) else str(value)
            decided[call_id] = tool_return(call_id, item.name, status, text, answer.get("stdout"), answer.get("stderr"))
        elif answer.get("approve") is True:
            if state.tools[item.name].is_client_tool:
                raise InvalidApprovalError(
                    f"'{item.name}' is a client tool: send its result as {{'type': 'tool', ...}}, not an approval."
                )
        elif answer.get("approve") is False:
            decided[call_id] = denied_return(call_id, item.name, answer.get("reason"))
        else:
            raise InvalidApprovalError(f"Approval for {call_id} needs 'approve': true or false.")
    return request, approvals, planned, decided


def _as_tool_calls(message: Message) -> list[ToolCall]:
    return [
        ToolCall(id=c["id"], name=c["function"]["name"], arguments=c["function"]["arguments"])
        for c in message.tool_calls or []
    ]


async def _answer_approval(
    state: RunState,
    request: Message,
    approvals: list[dict],
    planned: list[PlannedCall],
    decided: dict[str, dict],
    emit: Emitter,
) -> Stop | None:
    undecided = [p for p in planned if p.call.id not in decided]
    await prepare_embeddings(state, undecided)
    await run_custom_tools(state, undecided)
    response = Message(
        role=Message.Role.APPROVAL,
        approvals=approvals,
        approval_request_id=request.id,
        approve=all(a.get("approve", True) is not False for a in approvals),
    )
    new, calls = await sync_to_async(released(_write_approval_response))(state, response, planned, decided)
    await emit.messages(new)
    await emit.step_finished(None, calls.changed_block_ids)
    if any(state.rules.is_terminal(name) for name in calls.ran):
        return Stop("tool_rule")
    return None


@transaction.atomic
def _write_approval_response(
    state: RunState, response: Message, planned: list[PlannedCall], decided: dict[str, dict]
) -> tuple[list[Message], ExecutedCalls]:
    """The person's answer, in one transaction: store it, execute what was approved (what was denied gets its
    denial as its return), then persist the returns and the context window."""
    stored = persist.store_messages(state, None, [response])
    calls = execute_calls(state, planned, None, decided)
    new = persist.persist_approval_response(state, stored=stored, calls=calls)
    state.cancel_requested = run_lifecycle.is_cancel_requested(state.run_id)
    return new, calls
