"""Runs detached from the request that started them (`/messages/async`, `streaming` + `background`).

Such a run is an asyncio task on the server's event loop. Its events go to the database (`event_log`), so
any process can replay them, and its outcome to the Run row, so any process can report it; the task itself is
only referenced here, to keep the event loop (which holds tasks weakly) from collecting it mid-run. A server
that stops mid-run fails the run as it exits, or, killed, leaves it to lapse (agents/runtime/leases.py).
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable

from asgiref.sync import sync_to_async
from django.db import close_old_connections, connection

from agents.models import Run
from agents.runtime import event_log
from agents.runtime.emitter import EventSink
from agents.runtime.event_log import EventRecorder
from agents.runtime.loop import RunResult, run_agent

log = logging.getLogger(__name__)

RunHook = Callable[[str], Awaitable[None]]

_TASKS: set[asyncio.Task] = set()


def keep(task: asyncio.Task) -> asyncio.Task:
    """Hold a strong reference to `task` until it ends."""
    _TASKS.add(task)
    task.add_done_callback(_TASKS.discard)
    return task


async def run_detached(
    *, on_event: EventSink | None = None, on_start: RunHook | None = None, on_finish: RunHook | None = None, **request
) -> RunResult:
    """`run_agent(**request)` as a background run, its events numbered and kept.

    `on_event` also receives each numbered event (the live reader of a background stream); `on_finish(run_id)`
    is awaited once the run has ended (its callback)."""
    recorder = EventRecorder(on_event)

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
        # No request ends for a detached run, so Django's request_finished never closes the connection its
        # database work opened: close it here, or it idles until the process ends (and breaks if the database
        # restarts meanwhile).
        await sync_to_async(_close_idle_connection)()


async def start_detached(**request) -> Run:
    """Start a background run and answer its Run as soon as it is accepted; re-raise a refusal (RunRefused)."""
    accepted: asyncio.Future = asyncio.get_running_loop().create_future()

    async def on_start(run_id: str) -> None:
        accepted.set_result(run_id)

    task = keep(asyncio.get_running_loop().create_task(run_detached(on_start=on_start, **request)))
    task.add_done_callback(_log_failure)
    await asyncio.wait({accepted, task}, return_when=asyncio.FIRST_COMPLETED)
    if not accepted.done():
        task.result()  # raises why the run was refused
    return await Run.objects.aget(pk=accepted.result())


def _close_idle_connection() -> None:
    # Inside an atomic block (a test's transaction) the connection is still in use: leave it.
    if not connection.in_atomic_block:
        close_old_connections()


def _log_failure(task: asyncio.Task) -> None:
    if not task.cancelled() and task.exception() is not None:  # reading it also marks it retrieved
        log.info("background run ended with %r", task.exception())
