"""The rules of scheduled messages (agents/schedules.py) at the service level, with a given "now": the next time of
a cron expression in UTC, a missed occurrence delivered once (not a burst), one claim per occurrence, the cap, and a
busy agent's delivery given back and queued again rather than lost."""

from datetime import UTC, datetime, timedelta

import pytest
from django.tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from agents import schedules
from agents.models import Run, ScheduledMessage
from agents.schedules import ScheduleError
from agents.tasks import deliver_scheduled_message

NOW = datetime(2026, 3, 2, 10, 7, 30, tzinfo=UTC)
HELLO = [{"role": "user", "content": "Check the inbox."}]


def at(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def recurring(agent, cron="*/15 * * * *", now=NOW):
    return schedules.create(
        agent, {"messages": HELLO, "schedule": {"type": "recurring", "cron_expression": cron}}, now=now
    )


def queued_dues(schedule_id) -> list[str]:
    tasks = DBTaskResult.objects.filter(task_path=deliver_scheduled_message.module_path, status=TaskResultStatus.READY)
    return sorted(
        t.args_kwargs["kwargs"]["due"] for t in tasks if t.args_kwargs["kwargs"]["schedule_id"] == schedule_id
    )


def test_the_next_time_of_a_cron_expression_is_in_utc():
    assert schedules.next_cron_time("*/15 * * * *", NOW) == at(2026, 3, 2, 10, 15)
    assert schedules.next_cron_time("0 9 * * *", NOW) == at(2026, 3, 3, 9, 0)
    assert schedules.next_cron_time("0 9 * * 1", NOW) == at(2026, 3, 9, 9, 0)  # 2026-03-02 is a Monday, past 9:00
    assert schedules.next_cron_time("15 10 * * *", at(2026, 3, 2, 10, 15)) == at(2026, 3, 3, 10, 15)  # strictly after


@pytest.mark.parametrize("cron", ["", "every day", "60 * * * *", "* * * *", "0 0 31 2 *"])
def test_a_bad_cron_expression_is_refused(cron):
    with pytest.raises(ScheduleError) as refused:
        schedules.next_cron_time(cron, NOW)
    assert refused.value.field == "cron_expression"


def test_scheduled_at_in_seconds_or_milliseconds():
    seconds = NOW.timestamp() + 90
    assert schedules.one_time_at(seconds, NOW) == NOW + timedelta(seconds=90)
    assert schedules.one_time_at(seconds * 1000, NOW) == NOW + timedelta(seconds=90)
    assert schedules.one_time_at(NOW.timestamp() - 30, NOW) == NOW - timedelta(seconds=30)  # a little late: taken
    with pytest.raises(ScheduleError, match="in the past"):
        schedules.one_time_at(NOW.timestamp() - 3600, NOW)
    for bad in (True, "soon", float("nan"), 1e300, 10**400):
        with pytest.raises(ScheduleError):
            schedules.one_time_at(bad, NOW)


def test_creating_queues_the_first_delivery_at_its_time(make_agent):
    agent = make_agent()
    schedule = recurring(agent)
    assert schedule.next_scheduled_at == at(2026, 3, 2, 10, 15)
    [task] = DBTaskResult.objects.filter(task_path=deliver_scheduled_message.module_path)
    assert task.run_after == at(2026, 3, 2, 10, 15)


def test_a_missed_occurrence_is_delivered_once_and_the_next_is_after_now(make_agent):
    agent = make_agent()
    schedule = recurring(agent)
    due = schedule.next_scheduled_at
    # The server was down from 10:15 to 11:02: the 10:15 task runs late, the next time is 11:15, not 10:30.
    later = at(2026, 3, 2, 11, 2)
    claimed, after = schedules.claim(schedule.id, due, later)
    assert after == at(2026, 3, 2, 11, 15)
    schedule.refresh_from_db()
    assert schedule.next_scheduled_at == after


def test_an_occurrence_is_claimed_once(make_agent):
    agent = make_agent()
    schedule = recurring(agent)
    due = schedule.next_scheduled_at
    assert schedules.claim(schedule.id, due, due) is not None
    assert schedules.claim(schedule.id, due, due) is None  # a second worker holding the same task finds it taken


def test_a_one_time_schedule_is_done_once_claimed_and_leaves_the_live_list(make_agent):
    agent = make_agent()
    body = {"messages": HELLO, "schedule": {"scheduled_at": NOW.timestamp() + 60}}
    schedule = schedules.create(agent, body, now=NOW)
    assert list(schedules.live(agent)) == [schedule]
    assert schedules.claim(schedule.id, schedule.next_scheduled_at, NOW + timedelta(minutes=1)) == (schedule, None)
    assert list(schedules.live(agent)) == []
    assert ScheduledMessage.objects.get(pk=schedule.id).next_scheduled_at is None


def test_a_deleted_or_stale_occurrence_is_not_claimed(make_agent):
    agent = make_agent()
    schedule = recurring(agent)
    assert schedules.claim(schedule.id, schedule.next_scheduled_at - timedelta(minutes=15), NOW) is None
    schedules.delete(agent, schedule.id)
    assert schedules.claim(schedule.id, schedule.next_scheduled_at, NOW) is None


def test_the_cap_on_live_schedules(make_agent, settings):
    settings.SCHEDULES_PER_AGENT = 2
    agent = make_agent()
    recurring(agent)
    recurring(agent)
    with pytest.raises(ScheduleError, match="LETTA_SCHEDULES_PER_AGENT"):
        recurring(agent)
    assert ScheduledMessage.objects.count() == 2
    assert recurring(make_agent(name="other"))  # the cap is per agent


def test_deleting_the_agent_deletes_its_schedules(make_agent):
    agent = make_agent()
    recurring(agent)
    agent.delete()
    assert not ScheduledMessage.objects.exists()


@pytest.mark.django_db(transaction=True)
async def test_a_busy_agent_gets_the_occurrence_back_and_a_retry_queued(make_agent, settings):
    from asgiref.sync import sync_to_async

    settings.RUN_WORKER_IN_PROCESS = False
    agent = await sync_to_async(make_agent)()
    schedule = await sync_to_async(recurring)(agent, now=datetime.now(UTC))
    due = schedule.next_scheduled_at
    # Another run holds the agent (one run per agent).
    await Run.objects.acreate(organization_id=agent.organization_id, agent=agent, status="running")

    assert await schedules.deliver(schedule.id, due.isoformat(), now=due) is None

    await schedule.arefresh_from_db()
    assert schedule.next_scheduled_at == due  # given back, not lost
    assert await sync_to_async(queued_dues)(schedule.id) == sorted(
        [due.isoformat(), due.isoformat(), (due + timedelta(minutes=15)).isoformat()]
    )  # the first task (still READY here: it was called directly), its retry, and the next one (stale now)
    assert not await Run.objects.filter(agent=agent).exclude(status="running").aexists()
