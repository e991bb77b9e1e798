"""The queue's worker: takes tasks from the database queue (django-tasks-db's table) and runs many at once on one
event loop.

django-tasks-db's own `db_worker` runs one task at a time, synchronously; a background run mostly awaits its
provider, so one worker here holds up to LETTA_WORKER_CONCURRENCY of them on one loop, as a web process holds its
conversations. Claiming a task is the backend's own (a row lock that skips locked rows, then `claim`), so several
workers, in web processes (`in_process_worker`) and in `manage.py letta_worker` processes, share one queue, and a
task is taken by exactly one of them.

A task is never run twice: the backend does not retry. Whether the worker holding a task lives is its lease
(agents.WorkerLease, renewed with the run leases by agents/runtime/leases.py): a task whose worker died (killed,
its machine lost) stays RUNNING until a worker finds that worker's lease lapsed (`fail_abandoned`, every quarter of
LETTA_RUN_LEASE_SECONDS). The task is then failed, and what it carried recovered: a background run still active
ends as failed and its callback is sent; a scheduled delivery's occurrence is delivered by whichever worker takes
it next, or recognized as delivered when its run exists (schedules.recover), so it is delivered once.
"""

import asyncio
import logging
import os
import socket
import sys
import uuid
from datetime import timedelta

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import DatabaseError, close_old_connections, connection
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction

from agents import schedules, tasks
from agents.models import Run
from agents.runtime import leases, run_lifecycle
from agents.runtime.background import WORKER_GONE
from letta_project.db import as_unit_of_work, released

log = logging.getLogger(__name__)


# How often a worker deletes the records of tasks that ended long ago (LETTA_TASK_RESULTS_KEEP_DAYS): every task
# leaves one row, and a queue that has served for months would otherwise keep them all.
PRUNE_EVERY_SECONDS = 3600


def default_queues() -> tuple[str, ...]:
    return ("default", settings.RUN_QUEUE)


class WorkerLost(Exception):
    """The worker that held a task stopped before the task ended."""


class Worker:
    def __init__(
        self,
        *,
        queues: tuple[str, ...] | None = None,
        concurrency: int | None = None,
        interval: float | None = None,
        worker_id: str | None = None,
    ):
        self.queues = list(queues or default_queues())
        self.concurrency = concurrency or settings.WORKER_CONCURRENCY
        self.interval = interval or settings.WORKER_POLL_SECONDS
        self.worker_id = (worker_id or f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}")[:64]
        leases.hold_worker(self.worker_id)
        self.running: dict[str, asyncio.Task] = {}
        self.wake = asyncio.Event()
        self.stopping = False
        self.serving: asyncio.Task | None = None

    @as_unit_of_work
    async def serve(self) -> None:
        """Take and run tasks until `stop()`. Between looks at the queue it holds no database connection."""
        log.info("worker %s serving queues %s", self.worker_id, ",".join(self.queues))
        loop = asyncio.get_running_loop()
        checked = loop.time()
        pruned = -PRUNE_EVERY_SECONDS  # soon after start, then hourly
        while not self.stopping:
            self.wake.clear()
            while len(self.running) < self.concurrency and not self.stopping:
                claimed = await sync_to_async(released(claim_next))(self.worker_id, self.queues)
                if claimed is None:
                    break
                self._start(claimed)
            if loop.time() - checked >= leases.interval():
                checked = loop.time()
                for run_id in await sync_to_async(released(fail_abandoned))(set(self.running)):
                    await _send_callback(run_id)
            if loop.time() - pruned >= PRUNE_EVERY_SECONDS:
                pruned = loop.time()
                await sync_to_async(released(prune_finished))()
            try:
                await asyncio.wait_for(self.wake.wait(), self.interval)
            except TimeoutError:
                pass

    async def take(self, task_id: str) -> bool:
        """Run the task `task_id` (just queued by this process) now, if this worker has room and nobody took it."""
        if self.stopping or len(self.running) >= self.concurrency:
            return False
        claimed = await sync_to_async(claim_next)(self.worker_id, self.queues, task_id=task_id)
        if claimed is not None:
            self._start(claimed)
        return claimed is not None

    def stop(self) -> None:
        self.stopping = True
        self.wake.set()

    async def drain(self, grace: float) -> None:
        """Let the running tasks end for up to `grace` seconds, then cancel the rest (their runs end as failed)."""
        if self.running:
            _, pending = await asyncio.wait(set(self.running.values()), timeout=grace)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)

    def _start(self, claimed: DBTaskResult) -> None:
        key = str(claimed.id)
        task = asyncio.get_running_loop().create_task(self._execute(claimed))
        self.running[key] = task

        def ended(_: asyncio.Task) -> None:
            self.running.pop(key, None)
            self.wake.set()  # a slot is free

        task.add_done_callback(ended)

    @as_unit_of_work  # a task started by a request outlives it: the connection its thread opens is closed here
    async def _execute(self, claimed: DBTaskResult) -> None:
        try:
            arguments = claimed.args_kwargs
            value = await claimed.task.acall(*arguments["args"], **arguments["kwargs"])
        except asyncio.CancelledError as exc:
            await sync_to_async(claimed.set_failed)(WorkerLost(f"Worker {self.worker_id} stopped during the task."))
            raise exc
        except Exception as exc:
            log.warning("task %s (%s) failed: %r", claimed.id, claimed.task_path, exc)
            await sync_to_async(claimed.set_failed)(exc)
        else:
            await sync_to_async(claimed.set_successful)(value)


def claim_next(worker_id: str, queues: list[str], *, task_id: str | None = None) -> DBTaskResult | None:
    """Take the next ready task of `queues` for this worker (or the task `task_id`, though its time has not come),
    or None (none ready, or the database busy)."""
    if task_id is not None:
        ready = DBTaskResult.objects.filter(id=task_id, status=TaskResultStatus.READY)
    else:
        ready = DBTaskResult.objects.ready().filter(backend_name=tasks.execute_run.backend, queue_name__in=queues)
    try:
        # A plain read first: the exclusive transaction takes SQLite's write lock, and every worker looks every
        # LETTA_WORKER_POLL_SECONDS, so looking under it held up every writer of every process for nothing.
        if not ready.exists():
            return None
        with exclusive_transaction(ready.db):
            claimed = ready.get_locked()
            if claimed is not None:
                claimed.claim(worker_id)
        return claimed
    except DatabaseError as exc:  # locked for long, or the database went away: try again on the next look
        log.warning("could not take a task from the queue: %s", exc)
        if not connection.in_atomic_block:
            close_old_connections()
        return None


def fail_abandoned(held: set[str]) -> list[str]:
    """Fail the tasks of our queues whose worker is gone (its lease lapsed, or it has none) and recover what each
    carried; the ids of the runs that ended with them, whose callbacks are now due. `held`: this worker's tasks."""
    now = timezone.now()
    grace = timedelta(seconds=settings.RUN_LEASE_SECONDS)  # a worker taking its first task may not have renewed yet
    taken = DBTaskResult.objects.running().filter(backend_name=tasks.execute_run.backend, started_at__lt=now - grace)
    try:
        taken = list(taken.exclude(id__in=held))
        return _fail_dead(taken, leases.live_workers()) if taken else []
    except DatabaseError as exc:  # locked for long, or the database went away: the next look tries again
        log.warning("could not look for abandoned tasks: %s", exc)
        return []


def _fail_dead(taken: list[DBTaskResult], live: set[str]) -> list[str]:
    """Fail those of the `taken` tasks whose worker is not `live`, each once what it carried is safe."""
    ended = []
    for claimed in taken:
        worker_id = claimed.worker_ids[-1] if claimed.worker_ids else None
        if worker_id in live:
            continue
        arguments = claimed.args_kwargs["kwargs"]
        if claimed.task_path == tasks.execute_run.module_path:
            run = Run.objects.filter(pk=arguments.get("run_id")).first()
            if run is not None and run.is_active:
                if not run_lifecycle.end_unowned(run.id, lapsed_only=True, message=WORKER_GONE):
                    continue  # its run's lease is current after all: some process runs it
            if run is not None:
                ended.append(run.id)
        elif claimed.task_path == tasks.deliver_scheduled_message.module_path:
            schedules.recover(arguments["schedule_id"], arguments["due"])
        claimed.set_failed(WorkerLost(f"Worker {worker_id} stopped during this task."))
    return ended


def prune_finished() -> int:
    """Delete the records of tasks that ended more than LETTA_TASK_RESULTS_KEEP_DAYS ago, and the leases of workers
    gone for a day; how many tasks. The runs they carried keep their own records (agents.Run), never touched."""
    cutoff = timezone.now() - timedelta(days=settings.TASK_RESULTS_KEEP_DAYS)
    ended = DBTaskResult.objects.filter(
        status__in=[TaskResultStatus.SUCCESSFUL, TaskResultStatus.FAILED], finished_at__lt=cutoff
    )
    try:
        deleted, _ = ended.delete()
        leases.prune_workers()
    except DatabaseError as exc:  # busy: the next hour's try will do
        log.warning("could not prune finished tasks: %s", exc)
        return 0
    if deleted:
        log.info("pruned %d finished task records", deleted)
    return deleted


async def _send_callback(run_id: str) -> None:
    from agents.runtime import background

    try:
        await background.post_callback(run_id)
    except Exception:
        log.exception("could not send the callback of run %s", run_id)


# ----------------------------------------------------------------------------------------------- in a web process

_IN_PROCESS: dict[asyncio.AbstractEventLoop, Worker] = {}


def in_process_worker() -> Worker | None:
    """This web process's worker, serving on the running event loop (the one its requests and websockets use, so
    the runs it takes publish their events where this process's readers are), started on first use; None when
    LETTA_RUN_WORKER_IN_PROCESS is off."""
    if not settings.RUN_WORKER_IN_PROCESS:
        return None
    loop = asyncio.get_running_loop()
    worker = _IN_PROCESS.get(loop)
    if worker is None or worker.serving is None or worker.serving.done():
        for old in [old for old in _IN_PROCESS if old.is_closed()]:
            del _IN_PROCESS[old]
        worker = _IN_PROCESS[loop] = Worker()
        worker.serving = loop.create_task(worker.serve(), name="letta-worker")
    return worker


def serving_in_process(app):
    """The ASGI `app`, with this process's worker started by its first connection (and at once under daphne,
    whose event loop exists before it serves), so runs queued while no web process ran are taken up too."""
    if settings.RUN_WORKER_IN_PROCESS and (daphne := sys.modules.get("daphne.server")) is not None:
        daphne.twisted_loop.call_soon(in_process_worker)

    async def application(scope, receive, send):
        in_process_worker()
        return await app(scope, receive, send)

    return application
