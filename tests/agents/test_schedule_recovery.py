"""A worker that dies while it delivers a scheduled message (agents/schedules.py, worker.fail_abandoned): its task
ends FAILED, and the occurrence it held is delivered exactly once, by the next worker, whatever point it died at:
before claiming it, after claiming it but before its run existed, or after its run was made but before that was
recorded. The recurrence goes on as if nothing happened, and a live worker's delivery is left alone.

A dead worker is what one leaves behind: a task RUNNING under its id, taken a while ago, and no current lease."""

from datetime import UTC, datetime, timedelta

import pytest
from asgiref.sync import async_to_sync
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from agents import schedules
from agents.api.send_views import start_async
from agents.models import Run, ScheduledMessage, WorkerLease
from agents.runtime.worker import fail_abandoned
from agents.tasks import deliver_scheduled_message

pytestmark = pytest.mark.django_db(transaction=True)

HELLO = [{"role": "user", "content": "Check the inbox."}]


@pytest.fixture(autouse=True)
def _no_worker_in_this_process(settings):
    settings.RUN_WORKER_IN_PROCESS = False  # the runs a delivery starts wait in the queue; nothing runs them


@pytest.fixture
def schedule(make_agent):
    """A schedule every 15 minutes whose last occurrence is due already (its task is ready)."""
    return schedules.create(
        make_agent(),
        {"messages": HELLO, "schedule": {"type": "recurring", "cron_expression": "*/15 * * * *"}},
        now=timezone.now() - timedelta(minutes=20),
    )


def delivery_task(schedule, due: datetime) -> DBTaskResult:
    [task] = [t for t in _deliveries(schedule) if t.args_kwargs["kwargs"]["due"] == due.isoformat()]
    return task


def _deliveries(schedule) -> list[DBTaskResult]:
    tasks = DBTaskResult.objects.filter(task_path=deliver_scheduled_message.module_path).order_by("enqueued_at")
    return [t for t in tasks if t.args_kwargs["kwargs"]["schedule_id"] == schedule.id]


def taken_by(task: DBTaskResult, worker_id: str, *, seconds_ago: float = 60) -> None:
    task.claim(worker_id)
    DBTaskResult.objects.filter(id=task.id).update(started_at=timezone.now() - timedelta(seconds=seconds_ago))


def run_the_ready_deliveries() -> list[str | None]:
    """What the next worker does: run each delivery task that is ready, as a worker would."""
    results = []
    for task in DBTaskResult.objects.ready().filter(task_path=deliver_scheduled_message.module_path):
        task.claim("worker-next")
        kwargs = task.args_kwargs["kwargs"]
        results.append(async_to_sync(schedules.deliver)(kwargs["schedule_id"], kwargs["due"]))
        task.set_successful(results[-1])
    return results


def runs_of(schedule, due: datetime) -> list[Run]:
    return list(Run.objects.filter(metadata__scheduled_message_id=schedule.id, metadata__scheduled_for=due.isoformat()))


def next_cron_after_now() -> datetime:
    return schedules.next_cron_time("*/15 * * * *", datetime.now(UTC))


@pytest.mark.parametrize("died", ["before claiming it", "after claiming it"])
def test_an_occurrence_whose_worker_died_before_its_run_existed_is_delivered_once_by_the_next_worker(schedule, died):
    due = schedule.next_scheduled_at
    task = delivery_task(schedule, due)
    taken_by(task, "worker-dead")
    if died == "after claiming it":
        schedules.claim(schedule.id, due, timezone.now())

    assert fail_abandoned(set()) == []
    task.refresh_from_db()
    assert task.status == TaskResultStatus.FAILED and "worker-dead" in task.traceback

    delivered = [run_id for run_id in run_the_ready_deliveries() if run_id]
    [run] = runs_of(schedule, due)
    assert delivered == [run.id] and run.background and run.status == "running"  # queued for a worker
    schedule.refresh_from_db()
    assert (schedule.last_run_id, schedule.delivering_due) == (run.id, None)
    # The recurrence goes on: its next time is the cron time after now, and that occurrence's task is queued.
    assert schedule.next_scheduled_at == next_cron_after_now()
    queued = [
        t.status
        for t in _deliveries(schedule)
        if t.args_kwargs["kwargs"]["due"] == schedule.next_scheduled_at.isoformat()
    ]
    assert TaskResultStatus.READY in queued  # (a second one, queued by the dead worker's claim, then does nothing)

    # Nothing more to recover, and running every task again delivers nothing twice.
    assert fail_abandoned(set()) == [] and run_the_ready_deliveries() == []
    assert len(runs_of(schedule, due)) == 1


def test_a_run_made_before_the_worker_died_is_recorded_as_the_delivery_not_made_again(schedule):
    due = schedule.next_scheduled_at
    taken_by(delivery_task(schedule, due), "worker-dead")
    # It claimed the occurrence and its run was made; it died before recording that.
    claimed, _ = schedules.claim(schedule.id, due, timezone.now())
    made = async_to_sync(start_async)(
        claimed.agent_id, claimed.organization_id, dict(claimed.request), metadata=schedules.occurrence(claimed.id, due)
    )

    fail_abandoned(set())

    schedule.refresh_from_db()
    assert (schedule.last_run_id, schedule.delivering_due) == (made.id, None)
    assert run_the_ready_deliveries() == []  # nothing queued again
    assert [run.id for run in runs_of(schedule, due)] == [made.id]
    assert delivery_task(schedule, due).status == TaskResultStatus.FAILED


def test_recovering_twice_delivers_once(schedule):
    due = schedule.next_scheduled_at
    taken_by(delivery_task(schedule, due), "worker-dead")
    schedules.claim(schedule.id, due, timezone.now())

    # Two workers find the dead worker's task at once: each recovers the occurrence.
    schedules.recover(schedule.id, due.isoformat())
    schedules.recover(schedule.id, due.isoformat())
    fail_abandoned(set())

    assert len([run_id for run_id in run_the_ready_deliveries() if run_id]) == 1
    assert len(runs_of(schedule, due)) == 1
    assert ScheduledMessage.objects.get(pk=schedule.id).next_scheduled_at == next_cron_after_now()


def test_a_worker_frozen_past_its_lease_does_not_deliver_again_when_it_wakes(schedule, monkeypatch):
    due = schedule.next_scheduled_at
    taken_by(delivery_task(schedule, due), "worker-frozen")
    # It claimed the occurrence and found no run for it; then it froze, and its lease lapsed.
    claimed = schedules.claim(schedule.id, due, timezone.now())
    fail_abandoned(set())
    [delivered] = [run_id for run_id in run_the_ready_deliveries() if run_id]
    Run.objects.filter(pk=delivered).update(status="completed")  # and that run is over

    # It wakes where it stopped: past the claim and the look for a run.
    monkeypatch.setattr(schedules, "claim", lambda *args: claimed)
    monkeypatch.setattr(schedules, "run_of", lambda *args: None)
    assert async_to_sync(schedules.deliver)(schedule.id, due.isoformat()) is None

    assert [run.id for run in runs_of(schedule, due)] == [delivered]
    schedule.refresh_from_db()
    assert (schedule.last_run_id, schedule.delivering_due) == (delivered, None)


def test_a_live_workers_delivery_is_left_alone(schedule):
    due = schedule.next_scheduled_at
    task = delivery_task(schedule, due)
    taken_by(task, "worker-slow")
    schedules.claim(schedule.id, due, timezone.now())
    WorkerLease.objects.create(worker_id="worker-slow", heartbeat_at=timezone.now())

    assert fail_abandoned(set()) == []
    task.refresh_from_db()
    assert task.status == TaskResultStatus.RUNNING
    assert ScheduledMessage.objects.get(pk=schedule.id).delivering_due == due
    assert run_the_ready_deliveries() == []  # nothing queued for it: its worker is still at it

    # Its lease lapses (the process died): now it is abandoned.
    WorkerLease.objects.filter(worker_id="worker-slow").update(heartbeat_at=timezone.now() - timedelta(minutes=5))
    fail_abandoned(set())
    task.refresh_from_db()
    assert task.status == TaskResultStatus.FAILED
    assert len([run_id for run_id in run_the_ready_deliveries() if run_id]) == 1


def test_a_task_just_taken_waits_for_its_workers_first_lease(schedule):
    task = delivery_task(schedule, schedule.next_scheduled_at)
    taken_by(task, "worker-new", seconds_ago=0)  # its worker has not renewed its lease yet
    assert fail_abandoned(set()) == []
    task.refresh_from_db()
    assert task.status == TaskResultStatus.RUNNING
