"""Runs detached from the request that started them (`/messages/async`, `streaming` + `background`, the ADE's chat,
sleep-time agents): tasks on the queue (agents/tasks.py), run by a worker (agents/runtime/worker.py).

`start_detached` checks the request and takes the thread's run slot in the request's own process, so a refusal is
answered at once and an accepted run's id before anything runs; the run then waits, queued, for a worker: one in
this process (LETTA_RUN_WORKER_IN_PROCESS) or `manage.py letta_worker` elsewhere. The worker runs it through the
same `run_agent`, holding its lease like any process that runs a run (leases.py). Its events go to the database
(`event_log`), so any process can replay or follow them, and its outcome to the Run row, so any process can report
it; a cancel reaches it through the run's flag, which the loop looks at while it runs.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from datetime import timedelta

from asgiref.sync import sync_to_async
from django.conf import settings
from django.utils import timezone

from agents.models import Run
from agents.runtime import event_log, leases, run_lifecycle
from agents.runtime.emitter import EventSink
from agents.runtime.event_log import EventRecorder
from agents.runtime.loop import RunResult, queue_run, run_agent
from agents.runtime.request_options import RequestOptions

log = logging.getLogger(__name__)

RunHook = Callable[[str], Awaitable[None]]

WORKER_GONE = "The worker running this run stopped. Send the message again."


async def start_detached(
    *, wait: bool = False, callback_url: str | None = None, metadata: dict | None = None, **request
) -> Run:
    """Accept a background run and queue it for a worker; answer its Run at once. Re-raises a refusal (RunRefused),
    which leaves no run behind. With `callback_url`, the worker POSTs the finished run there; `metadata` is the
    run's from its creation."""
    from agents import tasks  # the task module imports this one
    from agents.runtime import worker

    run = await queue_run(**request, wait=wait, callback_url=callback_url, metadata=metadata)
    here = worker.in_process_worker()
    # Runs this process accepts, its own worker takes at once (their readers are likely here); the others wait out
    # the hand-off first, so they take such a run only when this worker could not.
    handoff = timezone.now() + timedelta(seconds=settings.WORKER_HANDOFF_SECONDS) if here else None
    try:
        queued = await tasks.execute_run.using(queue_name=settings.RUN_QUEUE, run_after=handoff).aenqueue(
            run_id=run.id, request=as_task_arguments(request)
        )
    except BaseException:
        # Not queued, so nothing would ever run it: end it now rather than leave the thread blocked.
        await sync_to_async(run_lifecycle.end_unowned)(run.id, message="The run could not be queued. Send it again.")
        raise
    if here is not None:
        await here.take(queued.id)
    return run


async def execute_queued(run_id: str, request: dict) -> str | None:
    """Run a queued run in this process (a worker's task): its stop reason, or None when it was no longer waiting
    (cancelled before a worker took it). Its callback is POSTed once it has ended."""
    if not await sync_to_async(run_lifecycle.take_queued)(run_id):
        return None
    # Held from the moment it is taken: what comes before the loop's own hold (loading the agent, the provider's
    # client) can outlast a short lease on a busy machine.
    with leases.hold(run_id):
        try:
            result = await run_detached(run_id=run_id, **from_task_arguments(request))
        except asyncio.CancelledError:  # the worker is stopping mid-run: end the run now, not at its lease's lapse
            await sync_to_async(run_lifecycle.end_unowned)(run_id, message=WORKER_GONE)
            raise
        except Exception as exc:  # refused now though accepted then (its agent's model was removed meanwhile, ...)
            message = getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}"
            await sync_to_async(run_lifecycle.end_unowned)(run_id, message=message)
            raise
        finally:
            await post_callback(run_id)
    return result.stop_reason


async def post_callback(run_id: str) -> None:
    """POST the ended run to its callback URL, once (nothing for a run without one, or one already sent)."""
    from agents.api import callbacks

    run = await Run.objects.filter(pk=run_id).afirst()
    if run is not None and run.callback_url and run.callback_sent_at is None and not run.is_active:
        await callbacks.post_run(run_id, run.callback_url)


async def run_detached(
    *, on_event: EventSink | None = None, on_start: RunHook | None = None, on_finish: RunHook | None = None, **request
) -> RunResult:
    """`run_agent(**request)` as a background run in this process, its events numbered and kept.

    `on_event` also receives each numbered event; `on_finish(run_id)` is awaited once the run has ended."""
    recorder = EventRecorder(on_event)
    if request.get("run_id"):
        recorder.run_id = request["run_id"]

    async def started(run_id: str) -> None:
        recorder.run_id = run_id
        if on_start is not None:
            await on_start(run_id)

    if request.get("organization_id"):
        # Expired streams are swept here, where background runs begin, rather than by a separate job.
        await sync_to_async(event_log.prune_expired)(request["organization_id"])
    try:
        return await run_agent(**request, background=True, on_event=recorder, on_start=started)
    finally:
        await recorder.close()
        if on_finish is not None and recorder.run_id:
            await on_finish(recorder.run_id)


def as_task_arguments(request: dict) -> dict:
    """What `run_agent` needs, as the JSON a task carries (ids and the request's own data, no objects)."""
    arguments = {key: value for key, value in request.items() if value is not None}
    if isinstance(arguments.get("options"), RequestOptions):
        arguments["options"] = asdict(arguments["options"])
    return arguments


def from_task_arguments(arguments: dict) -> dict:
    request = dict(arguments)
    if isinstance(request.get("options"), dict):
        request["options"] = RequestOptions.from_request(request["options"])
    return request
