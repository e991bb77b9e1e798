"""Run leases: a run is owned by the live process that runs it, and only for as long as that process says so.

Each process keeps the ids of the runs it is running (`hold`) and one thread renews all their leases at once
(`Run.heartbeat_at`) every quarter of settings.RUN_LEASE_SECONDS: one query per period per process, none per step,
and a step that waits minutes for the provider or a tool keeps its lease. A process that dies (kill -9, a lost
machine) stops renewing; once the lease lapses, whoever meets the run ends it (run_lifecycle.end_lapsed). A web
process also sweeps (`start(sweep=True)`), so such runs end within seconds even when nobody touches their agent.
A process that exits normally ends the runs it still holds itself (`_end_held`, at interpreter exit).

The same thread keeps the lease of each queue worker the process runs (`hold_worker`, a WorkerLease row; one more
query per period): a task whose worker's lease lapsed was abandoned (worker.fail_abandoned), whatever the task.

Why a thread: the event loop may be busy or blocked for a while; the lease says whether the process lives.
"""

import atexit
import contextlib
import logging
import threading
from datetime import timedelta

from django.conf import settings
from django.db import close_old_connections, connection
from django.utils import timezone

log = logging.getLogger(__name__)

_held: set[str] = set()
_workers: set[str] = set()
_lock = threading.Lock()
_stop = threading.Event()
_thread: threading.Thread | None = None
_sweeping = False


def interval() -> float:
    return settings.RUN_LEASE_SECONDS / 4


def is_held(run_id: str) -> bool:
    """Whether this process is running `run_id` (its lease may look lapsed while a renewal waits for a lock)."""
    return run_id in _held


@contextlib.contextmanager
def hold(run_id: str):
    """Own `run_id` while the block runs: its lease is renewed until the block ends."""
    start()
    with _lock:
        _held.add(run_id)
    try:
        yield
    finally:
        with _lock:
            _held.discard(run_id)


def hold_worker(worker_id: str) -> None:
    """This process runs the queue worker `worker_id`: its lease is renewed until the process exits."""
    start()
    with _lock:
        _workers.add(worker_id)


def release_worker(worker_id: str) -> None:
    """The worker `worker_id` stopped, its tasks ended: its lease ends now rather than lapsing."""
    from agents.models import WorkerLease

    with _lock:
        _workers.discard(worker_id)
    WorkerLease.objects.filter(worker_id=worker_id).delete()


def live_workers() -> set[str]:
    """The ids of the queue workers whose lease is current, in any process (those of this one included: a renewal
    may be waiting for a lock)."""
    from agents.models import WorkerLease

    with _lock:
        here = set(_workers)
    since = timezone.now() - timedelta(seconds=settings.RUN_LEASE_SECONDS)
    return here | set(WorkerLease.objects.filter(heartbeat_at__gte=since).values_list("worker_id", flat=True))


def start(*, sweep: bool = False) -> None:
    """Start this process's lease thread (once); with `sweep`, it also ends lapsed runs of every process."""
    global _thread, _sweeping
    with _lock:
        _sweeping = _sweeping or sweep
        if _thread is not None:
            return
        _thread = threading.Thread(target=_renew_forever, name="run-leases", daemon=True)
        _thread.start()
        atexit.register(_end_held)


def stop(timeout: float = 5.0) -> None:
    """Stop renewing (the test session's end, before its database goes). The runs held stay as they are."""
    _stop.set()
    if _thread is not None:
        _thread.join(timeout)


def renew() -> int:
    """Renew the leases of this process's queue workers and of the runs it holds; the number of runs renewed."""
    from agents.models import Run, WorkerLease

    with _lock:
        ids, workers = list(_held), list(_workers)
    now = timezone.now()
    if workers:
        WorkerLease.objects.bulk_create(
            [WorkerLease(worker_id=worker_id, heartbeat_at=now) for worker_id in workers],
            update_conflicts=True,
            unique_fields=["worker_id"],
            update_fields=["heartbeat_at"],
        )
    if not ids:
        return 0
    return Run.objects.filter(pk__in=ids, status__in=Run.ACTIVE).update(heartbeat_at=now)


def prune_workers() -> int:
    """Delete the leases that lapsed a day ago or more (each worker ever started leaves one); how many. A worker
    without a lease counts as gone, as one whose lease lapsed does."""
    from agents.models import WorkerLease

    deleted, _ = WorkerLease.objects.filter(heartbeat_at__lt=timezone.now() - timedelta(days=1)).delete()
    return deleted


def bypass_pool() -> None:
    """This thread connects to the database directly, not through the server's connection pool (one connection
    more per process). Under a burst that keeps the pool busy, a renewal waiting its turn there for longer than a
    lease let the leases of live runs lapse, and other processes then ended runs that were still running."""
    options = connection.settings_dict.get("OPTIONS") or {}
    if "pool" in options:
        # A new dict for this thread's connection only: every thread's connection shares the settings' own.
        unpooled = {key: value for key, value in options.items() if key != "pool"}
        connection.settings_dict = {**connection.settings_dict, "OPTIONS": unpooled}


def _renew_forever() -> None:
    bypass_pool()
    while not _stop.wait(interval()):
        renew_once()


def renew_once() -> None:
    """One period's renewal (and sweep). Never raises: the thread that calls it must outlive any database trouble,
    or this process's live runs would lapse and be ended by others."""
    from agents.runtime import run_lifecycle

    try:
        renew()
        if _sweeping:
            run_lifecycle.end_lapsed()
        close_old_connections()
    except Exception:  # a database that went away or is locked for long: try again next period
        log.warning("could not renew run leases", exc_info=True)
        connection.close()


def _end_held() -> None:
    """At a normal exit (SIGTERM to the server, Ctrl-C): the runs this process still runs end as failed now,
    rather than blocking their agents until their leases lapse."""
    from agents.runtime import run_lifecycle

    _stop.set()
    with _lock:
        ids = list(_held)
        _held.clear()
    for run_id in ids:
        try:
            run_lifecycle.end_unowned(run_id, message="The server shut down during this run. Send the message again.")
        except Exception:
            log.warning("could not end run %s at shutdown", run_id, exc_info=True)
