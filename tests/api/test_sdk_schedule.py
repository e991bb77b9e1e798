"""Scheduled messages through the official `letta-client` SDK (`client.agents.schedule`) against the live server:
one-time and recurring schedules are stored, listed, read and deleted as Letta's cloud serves them, bad input is
refused with a clear 4xx and stores nothing, and the queue's worker delivers a schedule as a background run."""

import time
from datetime import UTC, datetime

import pytest
from django.tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult
from letta_client import APIStatusError, NotFoundError

from accounts.models import Organization
from agents.models import Run, ScheduledMessage
from agents.tasks import deliver_scheduled_message
from tests.api.live_server import sdk
from tests.fakes import Reply
from tests.waiting import wait_until

pytestmark = pytest.mark.django_db(transaction=True)

MODEL = "openai/gpt-4.1-mini"
HELLO = [{"role": "user", "content": "Time for the daily check-in."}]


def new_agent(client, name="planner"):
    return client.agents.create(name=name, model=MODEL, memory_blocks=[{"label": "human", "value": "Name: Ada"}])


def in_seconds(seconds: float) -> float:
    return time.time() + seconds


@pytest.fixture(autouse=True)
def _no_run_outlives_the_test():
    yield
    wait_until(
        lambda: not Run.objects.filter(status__in=Run.ACTIVE).exists(), message="delivered runs to end", timeout=60
    )


def test_create_one_time_and_recurring_then_list_retrieve_and_delete(client):
    agent = new_agent(client)
    at = in_seconds(3600)

    once = client.agents.schedule.create(
        agent.id, messages=HELLO, schedule={"type": "one-time", "scheduled_at": at}, max_steps=3
    )
    assert once.id.startswith("scheduled_message-")
    assert datetime.fromisoformat(once.next_scheduled_at) == datetime.fromtimestamp(at, UTC)
    daily = client.agents.schedule.create(
        agent.id,
        messages=HELLO,
        schedule={"type": "recurring", "cron_expression": "0 9 * * *"},
        callback_url="https://example.com/hook",
    )

    got = client.agents.schedule.retrieve(daily.id, agent_id=agent.id)
    assert got.agent_id == agent.id and got.schedule.type == "recurring"
    assert got.schedule.cron_expression == "0 9 * * *"
    assert got.message.messages[0].content == "Time for the daily check-in."
    assert got.message.callback_url == "https://example.com/hook"
    nine = datetime.fromisoformat(got.next_scheduled_time)
    assert (nine.hour, nine.minute, nine.utcoffset().total_seconds()) == (9, 0, 0)  # cron in UTC
    assert client.agents.schedule.retrieve(once.id, agent_id=agent.id).schedule.scheduled_at == at

    listed = client.agents.schedule.list(agent.id)
    assert [s.id for s in listed.scheduled_messages] == [once.id, daily.id] and listed.has_next_page is False
    first = client.agents.schedule.list(agent.id, limit="1")
    assert [s.id for s in first.scheduled_messages] == [once.id] and first.has_next_page is True
    rest = client.agents.schedule.list(agent.id, limit="1", after=once.id)
    assert [s.id for s in rest.scheduled_messages] == [daily.id] and rest.has_next_page is False

    assert client.agents.schedule.delete(once.id, agent_id=agent.id).success is True
    assert [s.id for s in client.agents.schedule.list(agent.id).scheduled_messages] == [daily.id]
    with pytest.raises(NotFoundError):
        client.agents.schedule.retrieve(once.id, agent_id=agent.id)


def test_milliseconds_are_taken_as_milliseconds(client):
    agent = new_agent(client)
    seconds = in_seconds(600)
    made = client.agents.schedule.create(
        agent.id, messages=HELLO, schedule={"type": "one-time", "scheduled_at": seconds * 1000}
    )
    assert abs(datetime.fromisoformat(made.next_scheduled_at).timestamp() - seconds) < 0.01


def test_unknown_and_foreign_ids_are_not_found(client, letta_server):
    other_client = sdk(letta_server, Organization.objects.create(name="other"))
    agent = new_agent(client)
    made = client.agents.schedule.create(agent.id, messages=HELLO, schedule={"scheduled_at": in_seconds(600)})
    with pytest.raises(NotFoundError):
        client.agents.schedule.retrieve("scheduled_message-nope", agent_id=agent.id)
    with pytest.raises(NotFoundError):
        client.agents.schedule.delete("scheduled_message-nope", agent_id=agent.id)
    with pytest.raises(NotFoundError):
        client.agents.schedule.list("agent-00000000-0000-4000-8000-000000000000")
    with pytest.raises(NotFoundError):
        other_client.agents.schedule.retrieve(made.id, agent_id=agent.id)
    with pytest.raises(NotFoundError):
        other_client.agents.schedule.delete(made.id, agent_id=agent.id)
    other_agent = new_agent(other_client)
    with pytest.raises(NotFoundError):  # an id of one agent is not found under another
        other_client.agents.schedule.retrieve(made.id, agent_id=other_agent.id)
    assert ScheduledMessage.objects.filter(pk=made.id).exists()


@pytest.mark.parametrize(
    ("messages", "schedule", "words"),
    [
        (HELLO, {"type": "recurring", "cron_expression": "every day"}, "cron_expression"),
        (HELLO, {"type": "recurring", "cron_expression": "61 * * * *"}, "cron_expression"),
        (HELLO, {"type": "one-time", "scheduled_at": 1_000_000}, "in the past"),
        (HELLO, {"type": "one-time", "scheduled_at": "tomorrow"}, "Unix time"),
        (HELLO, {"type": "weekly", "cron_expression": "0 9 * * 1"}, "one-time' or 'recurring"),
        ([], {"type": "one-time", "scheduled_at": 4_102_444_800}, "at least one message"),
        ([{"role": "tool", "content": "hi"}], {"type": "one-time", "scheduled_at": 4_102_444_800}, "role"),
        ([{"role": "user", "content": ""}], {"type": "one-time", "scheduled_at": 4_102_444_800}, "empty"),
    ],
)
def test_bad_input_is_refused_clearly_and_nothing_is_stored(client, messages, schedule, words):
    agent = new_agent(client)
    with pytest.raises(APIStatusError) as refused:
        client.agents.schedule.create(agent.id, messages=messages, schedule=schedule)
    assert 400 <= refused.value.status_code < 500
    assert words in refused.value.body["detail"]
    assert not ScheduledMessage.objects.exists()


def test_max_steps_below_one_and_a_bad_callback_are_refused(client):
    agent = new_agent(client)
    when = {"type": "one-time", "scheduled_at": in_seconds(600)}
    for extra in ({"max_steps": 0}, {"callback_url": "ftp://example.com/x"}):
        with pytest.raises(APIStatusError) as refused:
            client.agents.schedule.create(agent.id, messages=HELLO, schedule=when, **extra)
        assert refused.value.status_code == 422
    assert not ScheduledMessage.objects.exists()


def test_a_one_time_schedule_is_delivered_by_the_worker_as_a_background_run(client, fake_openai):
    agent = new_agent(client)
    fake_openai.script(Reply(text="Checking in: all good."))
    made = client.agents.schedule.create(
        agent.id, messages=HELLO, schedule={"type": "one-time", "scheduled_at": in_seconds(2)}
    )

    run = wait_until(
        lambda: Run.objects.filter(agent_id=agent.id, background=True).exclude(status__in=Run.ACTIVE).first(),
        message="the scheduled message's run to finish",
    )
    assert run.stop_reason == "end_turn"
    texts = [(m.message_type, getattr(m, "content", None)) for m in client.agents.messages.list(agent.id)]
    assert ("user_message", "Time for the daily check-in.") in texts
    assert ("assistant_message", "Checking in: all good.") in texts
    assert run.id in {r.id for r in client.runs.list(agent_id=agent.id)}

    # Delivered once: it leaves the list, and reads back with no next time.
    assert client.agents.schedule.list(agent.id).scheduled_messages == []
    assert client.agents.schedule.retrieve(made.id, agent_id=agent.id).next_scheduled_time is None
    assert Run.objects.filter(agent_id=agent.id).count() == 1


def test_a_deleted_schedule_is_not_delivered(client, fake_openai):
    agent = new_agent(client)
    fake_openai.script(Reply(text="Should never be asked."))
    kept = client.agents.schedule.create(
        agent.id, messages=HELLO, schedule={"type": "one-time", "scheduled_at": in_seconds(1)}
    )
    client.agents.schedule.delete(kept.id, agent_id=agent.id)
    # A second schedule just after it: once the worker has run both tasks, only the second was delivered.
    second = client.agents.schedule.create(
        agent.id, messages=HELLO, schedule={"type": "one-time", "scheduled_at": in_seconds(2)}
    )
    wait_until(
        lambda: (
            not DBTaskResult.objects.filter(task_path=deliver_scheduled_message.module_path)
            .exclude(status=TaskResultStatus.SUCCESSFUL)
            .exists()
            and ScheduledMessage.objects.filter(pk=second.id, last_run_id__isnull=False).exists()
        ),
        message="both delivery tasks to be done",
    )
    [run] = Run.objects.filter(agent_id=agent.id)
    assert run.id == ScheduledMessage.objects.get(pk=second.id).last_run_id
    wait_until(lambda: not Run.objects.filter(pk=run.id, status__in=Run.ACTIVE).exists(), message="its run to end")
    assert len(fake_openai.requests) == 1
