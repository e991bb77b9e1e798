"""The events of background runs, kept in the database so any server process can replay or follow them.

A run lives in one process, so the recorder numbers its events in memory (`seq_id` 1, 2, ...) and writes them in
batches: token streaming emits an event per chunk, and one insert per chunk would make the database the
bottleneck. A batch is written once it holds BATCH_SIZE events or its first event is FLUSH_DELAY old, so a
follower lags by at most that delay: each written batch is announced to the run's followers, who wait for that
(agents/runtime/event_wakeups.py) rather than polling the table.
"""

import asyncio
from datetime import timedelta

from asgiref.sync import sync_to_async
from django.conf import settings
from django.utils import timezone

from agents.models import Run, RunEvent
from agents.runtime import event_wakeups, run_lifecycle
from agents.runtime.emitter import EventSink
from letta_project.db import released

BATCH_SIZE = 100
FLUSH_DELAY = 0.1  # seconds
# The event a run always ends with (after its stop_reason); a reader that has seen it has the whole run.
LAST_EVENT = "usage_statistics"
# A run that is over but whose last event never came (its process died, the reaper failed it) is closed by the
# reader after this long, from the run's own record.
ENDING_GRACE = timedelta(seconds=5)


class EventRecorder:
    """An EventSink that numbers each event, hands the numbered copy on, and persists it in batches."""

    def __init__(self, forward: EventSink | None = None):
        self.forward = forward
        self.run_id: str | None = None
        self.seq_id = 0
        self._pending: list[RunEvent] = []
        self._timer: asyncio.Task | None = None
        self._writes: set[asyncio.Task] = set()
        self._lock = asyncio.Lock()

    async def __call__(self, event: dict) -> None:
        if self.run_id is None:  # before the run exists nothing is emitted; be safe anyway
            self.run_id = event.get("run_id")
        self.seq_id += 1
        event = {**event, "seq_id": self.seq_id}
        self._pending.append(RunEvent(run_id=self.run_id, seq_id=self.seq_id, event=event))
        if len(self._pending) >= BATCH_SIZE:
            # Written beside the stream, not in its way: awaiting the insert here held up every live reader of
            # the run (the ADE's chat saw a pause of one database write per hundred tokens).
            batch, self._pending = self._pending, []
            self._writes = {write for write in self._writes if not write.done()}
            self._writes.add(asyncio.get_running_loop().create_task(self._write(batch)))
        elif self._timer is None:
            self._timer = asyncio.get_running_loop().create_task(self._flush_later())
        if self.forward is not None:
            await self.forward(event)

    async def _flush_later(self) -> None:
        await asyncio.sleep(FLUSH_DELAY)
        self._timer = None
        await self.flush()

    async def flush(self) -> None:
        batch, self._pending = self._pending, []
        await self._write(batch)

    async def _write(self, batch: list[RunEvent]) -> None:
        # One write at a time, in the order the batches were taken (asyncio's lock is first come, first served).
        async with self._lock:
            if batch:
                # Written while the run waits for its model: the connection goes back to the pool after.
                await sync_to_async(released(RunEvent.objects.bulk_create))(batch)
        if batch:
            # Its followers wait for this rather than polling; the batch that ends the run wakes them to read its end.
            await event_wakeups.announce(batch[-1].run_id, batch[-1].seq_id)

    async def close(self) -> None:
        """Write what is left; called once the run has emitted its last event."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._writes:
            await asyncio.gather(*self._writes)
        await self.flush()


def read_events(run_id: str, *, after: int, limit: int) -> tuple[list[dict], Run | None]:
    """Up to `limit` events after seq_id `after`, and the run as it is now (one crossing into sync code)."""
    events = list(
        RunEvent.objects.filter(run_id=run_id, seq_id__gt=after)
        .order_by("seq_id")
        .values_list("event", flat=True)[:limit]
    )
    run = Run.objects.filter(pk=run_id).first()
    if not events and run is not None and run_lifecycle.is_stale(run):
        # Its process died: fail it now rather than when the agent's next run starts, so the reader can end.
        run_lifecycle.end_unowned(run.id, lapsed_only=True)
        run.refresh_from_db()
    return events, run


def _kept_since():
    return timezone.now() - timedelta(seconds=settings.RUN_EVENTS_KEEP_SECONDS)


def expired(run: Run) -> bool:
    """Ended longer ago than events are kept: its stream can no longer be resumed."""
    return run.completed_at is not None and run.completed_at < _kept_since()


def prune_expired(organization_id: str) -> int:
    """Delete the events of the organization's runs that ended longer ago than events are kept."""
    deleted, _ = RunEvent.objects.filter(
        run__organization_id=organization_id, run__completed_at__lt=_kept_since()
    ).delete()
    return deleted


def abandoned(run: Run) -> bool:
    """Over for a while without having written its last event: nothing more will come."""
    return not run.is_active and run.completed_at is not None and timezone.now() - run.completed_at > ENDING_GRACE


def ending_of(run: Run, seq_id: int) -> list[dict]:
    """The error/stop_reason/usage events of a run that could not write them itself, from its record."""
    events = []
    error = run.metadata.get("error") if isinstance(run.metadata, dict) else None
    if error:
        events.append(
            {"message_type": "error_message", "run_id": run.id, "error_type": "internal_error", "message": "", **error}
        )
    events.append({"message_type": "stop_reason", "stop_reason": run.stop_reason or "error"})
    events.append(
        {
            "message_type": "usage_statistics",
            "prompt_tokens": run.prompt_tokens,
            "completion_tokens": run.completion_tokens,
            "total_tokens": run.total_tokens,
            "step_count": run.step_count,
            "run_ids": [run.id],
        }
    )
    return [{**event, "seq_id": seq_id + index} for index, event in enumerate(events, start=1)]
