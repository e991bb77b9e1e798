"""Starting and finishing runs. One run per thread (an agent's default thread, each conversation) holds across
processes through partial unique constraints."""

import asyncio
import contextlib
import functools
import logging
from collections.abc import Callable
from datetime import timedelta

from asgiref.sync import async_to_sync, sync_to_async
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from agents.models import ONE_RUN_PER_OCCURRENCE, Agent, ContextWindow, Conversation, Message, Run
from agents.runtime import leases
from agents.runtime.errors import AgentBusyError, AgentNotFound
from agents.runtime.inputs import rows_from_json
from letta_project.db import release_connection

log = logging.getLogger(__name__)

# While a provider call is in flight, how soon and how often the loop looks for a cancel request.
CANCEL_FIRST_CHECK = 0.5  # seconds
CANCEL_CHECK_INTERVAL = 1.0

# The provider calls in flight in this process, by run: a cancel requested here wakes its call at once instead
# of waiting for the next look at the database flag. request_cancel runs on a worker thread, hence the loop.
_CANCEL_SIGNALS: dict[str, tuple[asyncio.AbstractEventLoop, asyncio.Event]] = {}

STATUS_FOR_STOP = {
    "end_turn": Run.Status.COMPLETED,
    "max_steps": Run.Status.COMPLETED,
    "tool_rule": Run.Status.COMPLETED,
    "requires_approval": Run.Status.COMPLETED,
    "cancelled": Run.Status.CANCELLED,
}


def get_agent(agent_id: str, organization_id: str | None = None) -> Agent:
    """The agent, with its sleep-time group (or the knowledge that it has none: `sleeptime.after_turn` then needs
    no query of its own at the end of each run)."""
    agents = Agent.objects.select_related("managed_group")
    if organization_id:
        agents = agents.for_organization(organization_id)
    try:
        return agents.get(pk=agent_id)
    except Agent.DoesNotExist:
        raise AgentNotFound(f"Agent {agent_id} not found.") from None


def _lapsed_before():
    return timezone.now() - timedelta(seconds=settings.RUN_LEASE_SECONDS)


def is_stale(run: Run) -> bool:
    """Active, but no live process has renewed its lease: the process that ran it is gone."""
    return (
        run.is_active
        and run.heartbeat_at is not None
        and run.heartbeat_at < _lapsed_before()
        and not leases.is_held(run.id)
    )


def is_queued(run: Run) -> bool:
    """Accepted for a worker that has not taken it yet (agents/runtime/background.py): an active background run
    without a lease."""
    return run.is_active and run.background and run.heartbeat_at is None


def take_queued(run_id: str) -> bool:
    """A worker takes a queued run: its lease starts now. False when it is no longer waiting (cancelled meanwhile,
    or taken by another worker)."""
    return bool(
        Run.objects.filter(pk=run_id, status__in=Run.ACTIVE, background=True, heartbeat_at__isnull=True).update(
            heartbeat_at=timezone.now()
        )
    )


def end_lapsed(agent_id: str | None = None) -> list[str]:
    """End the active runs (of the agent, or all) whose lease lapsed; the ids ended."""
    runs = Run.objects.filter(status__in=Run.ACTIVE, heartbeat_at__lt=_lapsed_before())
    if agent_id is not None:
        runs = runs.filter(agent_id=agent_id)
    return [run_id for run_id in runs.values_list("id", flat=True) if end_unowned(run_id, lapsed_only=True)]


def end_unowned(
    run_id: str,
    *,
    lapsed_only: bool = False,
    message: str = "The server process running this run stopped. Send the message again.",
) -> bool:
    """End an active run that no live process will finish: cancelled if a cancel was asked for, else failed with
    `message`. What its steps stored stays (each step's writes are one transaction, so no tool call is left
    without its return); input its first step never stored is kept in the history. With `lapsed_only`, only
    if no process owns it when looked at under the row lock: its lease has lapsed, or no worker took it yet."""
    now = timezone.now()
    with transaction.atomic():
        run = Run.objects.select_for_update().filter(pk=run_id, status__in=Run.ACTIVE).first()
        if run is None or (lapsed_only and not (is_stale(run) or is_queued(run))):
            return False
        if run.cancel_requested:
            run.status, run.stop_reason = Run.Status.CANCELLED, "cancelled"
        else:
            run.status, run.stop_reason = Run.Status.FAILED, "error"
            run.metadata = {**run.metadata, "error": {"error_type": "internal_error", "message": message}}
        run.completed_at = now
        keep_unsent_input(run)
        run.save()
        Agent.objects.filter(pk=run.agent_id).update(last_stop_reason=run.stop_reason, last_run_completion=now)
    _announce_end(run)
    return True


def _announce_end(run: Run) -> None:
    """Tell the run's live readers in other processes (the ADE's websocket, through Redis) that it ended: the
    process that ran it, which would have said so, is gone. Without a shared channel layer there is nobody to tell:
    the readers of a run of a dead process were in that process."""
    if not settings.REDIS_URL:
        return
    from agents import events
    from agents.runtime.emitter import run_finished_event

    event = {**run_finished_event(run), "conversation_id": run.conversation_id}
    try:
        async_to_sync(events.publish)(run.agent_id, event)
    except Exception:  # the run has ended all the same; a reader sees it on its next load
        log.warning("could not announce the end of run %s", run.id, exc_info=True)


def keep_unsent_input(run: Run) -> None:
    """The input of a run that ended before its first step was stored goes into the thread's history (not its
    context window), so nothing the user sent is lost. The caller saves the run."""
    if not run.pending_input:
        return
    for row in rows_from_json(run.pending_input):
        row.organization_id = run.organization_id
        row.agent_id = run.agent_id
        row.conversation_id = run.conversation_id
        row.run = run
        row.save()
    run.pending_input = None


def active_run_id(agent_id: str, conversation_id: str | None = None) -> str | None:
    """The active run of the agent's thread: its default one, or the conversation named."""
    runs = Run.objects.filter(agent_id=agent_id, status__in=Run.ACTIVE)
    runs = runs.filter(conversation_id=conversation_id) if conversation_id else runs.filter(conversation__isnull=True)
    return runs.values_list("id", flat=True).first()


def try_start_run(
    agent: Agent,
    request_config: dict,
    background: bool = False,
    callback_url: str | None = None,
    conversation_id: str | None = None,
    pending_input: list[dict] | None = None,
    queued: bool = False,
    metadata: dict | None = None,
) -> Run:
    """Take the run slot of the agent's thread: the new run, whose `agent` is the agent as read under the slot's lock
    (after the thread's previous run committed its last step), fresh for the run to read its context from."""
    with transaction.atomic():
        # Serializes with changes that must not overlap a run (reset-messages takes the same row lock), and with
        # other starts, on PostgreSQL; SQLite's IMMEDIATE transactions already serialize every write.
        locked = (
            Agent.objects.select_for_update(of=("self",)).select_related("managed_group").filter(pk=agent.pk).first()
        )
        if locked is None:
            raise AgentNotFound(f"Agent {agent.id} not found.")
        # Refuse on the committed state before inserting: an insert into the one-active-run index would wait on
        # a running step's transaction that touches the active run, while that step waits for this agent row
        # lock, a deadlock PostgreSQL breaks by failing one of them.
        if active_run_id(agent.id, conversation_id) is not None:
            end_lapsed(agent.id)
            if (running := active_run_id(agent.id, conversation_id)) is not None:
                raise AgentBusyError(agent.id, running, conversation_id)
        try:
            with transaction.atomic():
                return Run.objects.create(
                    organization_id=agent.organization_id,
                    agent=locked,
                    conversation_id=conversation_id,
                    status=Run.Status.RUNNING,
                    # A queued run has no lease until a worker takes it (take_queued), so the sweep leaves it be.
                    heartbeat_at=None if queued else timezone.now(),
                    request_config=request_config,
                    background=background,
                    callback_url=callback_url,
                    pending_input=pending_input or None,
                    metadata=metadata or {},
                )
        except IntegrityError as exc:
            if ONE_RUN_PER_OCCURRENCE in str(exc):
                raise  # the scheduled occurrence in `metadata` has its run already; schedules.deliver says so
            # Another process's start won after all: the index holds one active run.
            running = active_run_id(agent.id, conversation_id) or "unknown"
            raise AgentBusyError(agent.id, running, conversation_id) from None


async def start_run(
    agent: Agent,
    request_config: dict,
    *,
    wait: bool,
    background: bool = False,
    callback_url: str | None = None,
    wait_timeout: float = 600.0,
    conversation_id: str | None = None,
    pending_input: list[dict] | None = None,
    queued: bool = False,
    metadata: dict | None = None,
) -> Run:
    """Take the run slot of the agent's thread; with wait=True queue until the running run ends instead of
    refusing."""
    start = functools.partial(
        try_start_run, agent, request_config, background, callback_url, conversation_id, pending_input, queued, metadata
    )
    return await wait_for_slot(start, wait=wait, wait_timeout=wait_timeout)


async def wait_for_slot[T](start: Callable[[], T], *, wait: bool, wait_timeout: float = 600.0) -> T:
    """Call `start` (synchronous: it takes a thread's run slot through `try_start_run`, and may do more in the same
    crossing) on a worker thread; when the slot is taken (AgentBusyError), with wait=True try again until the
    running run ends instead of refusing."""
    deadline = asyncio.get_running_loop().time() + wait_timeout
    while True:
        try:
            return await sync_to_async(start)()
        except AgentBusyError:
            if not wait or asyncio.get_running_loop().time() > deadline:
                raise
        await sync_to_async(release_connection)()  # waiting in line holds no pooled connection
        await asyncio.sleep(0.05)


def discard_run(run_id: str) -> None:
    """A run refused before it did anything leaves no trace."""
    Run.objects.filter(pk=run_id).delete()


# What finishing a run changes of its record.
_FINISHED_FIELDS = [
    "status",
    "stop_reason",
    "completed_at",
    "total_duration_ns",
    "ttft_ns",
    "metadata",
    "pending_input",
    "updated_at",
]

# The stop reasons a run reaches on its own; a cancel acknowledged before the run finished replaces them.
_CANCELLABLE_STOPS = {"end_turn", "max_steps", "tool_rule", "requires_approval"}


def finish_run(
    run_id: str,
    agent_id: str,
    stop_reason: str,
    *,
    started_ns: int,
    ended_ns: int,
    ttft_ns: int | None,
    error: dict | None = None,
) -> Run:
    """Record how the run ended. Reads and writes the run under its row lock (SQLite's IMMEDIATE transaction
    serializes all writers), so it and `request_cancel` cannot interleave: a cancel that was answered "cancelled"
    before this point ends the run as cancelled, even if its last step finished meanwhile; one that comes after
    finds the run no longer active and says so. The stored stop reason is the one to report."""
    now = timezone.now()
    with transaction.atomic():
        run = Run.objects.select_for_update().get(pk=run_id)
        if run.cancel_requested and stop_reason in _CANCELLABLE_STOPS:
            stop_reason = "cancelled"
        run.status = STATUS_FOR_STOP.get(stop_reason, Run.Status.FAILED)
        run.stop_reason = stop_reason
        run.completed_at = now
        run.total_duration_ns = ended_ns - started_ns
        run.ttft_ns = ttft_ns
        if error:
            run.metadata = {**run.metadata, "error": error}
        keep_unsent_input(run)
        run.save(update_fields=_FINISHED_FIELDS)
        Agent.objects.filter(pk=agent_id).update(
            last_stop_reason=stop_reason,
            last_run_completion=now,
            last_run_duration_ms=(ended_ns - started_ns) // 1_000_000,
        )
        if run.conversation_id:
            Conversation.objects.filter(pk=run.conversation_id).update(last_run_completion=now)
    return run


def is_cancel_requested(run_id: str) -> bool:
    return Run.objects.filter(pk=run_id, cancel_requested=True).exists()


def request_cancel(
    agent_id: str, run_ids: list[str] | None = None, conversation_id: str | None = None, *, one_thread: bool = False
) -> dict[str, str]:
    """Ask the agent's active runs to stop: all of them (or those named), or with `one_thread` only the run of
    the conversation named (None: the agent's default thread). Answers `{run_id: "cancelled"}` for each run that
    was still active when the request was recorded, which `finish_run` then honours; a run that finished first is
    left out: its cancel could not happen, and an empty answer says so."""
    runs = Run.objects.filter(agent_id=agent_id, status__in=Run.ACTIVE)
    if one_thread:
        runs = runs.filter(conversation_id=conversation_id)
    if run_ids:
        runs = runs.filter(pk__in=run_ids)
    # One conditional update per run, so the answer names exactly the runs whose flag was set while active.
    ids = [
        run_id
        for run_id in runs.values_list("id", flat=True)
        if Run.objects.filter(pk=run_id, status__in=Run.ACTIVE).update(cancel_requested=True)
    ]
    for run_id in ids:
        if (waiting := _CANCEL_SIGNALS.get(run_id)) is not None:
            loop, signal = waiting
            loop.call_soon_threadsafe(signal.set)
        else:  # no process may be left to see the flag: a run whose lease lapsed, or still queued, ends here
            end_unowned(run_id, lapsed_only=True)
    return {run_id: "cancelled" for run_id in ids}


@contextlib.contextmanager
def cancel_signal(run_id: str):
    """An asyncio.Event set when this process is asked to cancel `run_id`, while the block runs."""
    signal = asyncio.Event()
    _CANCEL_SIGNALS[run_id] = (asyncio.get_running_loop(), signal)
    try:
        yield signal
    finally:
        _CANCEL_SIGNALS.pop(run_id, None)


def pending_approval(thread: ContextWindow) -> Message | None:
    """The approval request at the end of the thread's context, if it still waits for an answer."""
    if len(thread.message_ids) < 2:
        return None
    return waiting_approval(Message.objects.filter(id=thread.message_ids[-1]).first())


def waiting_approval(last: Message | None) -> Message | None:
    """`last`, the message at the end of a context (after its system message), if it is an approval request, which
    waits for an answer there."""
    if last and last.role == Message.Role.APPROVAL and last.tool_calls:
        return last
    return None
