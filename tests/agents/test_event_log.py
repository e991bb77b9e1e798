"""Background-run events: numbered, written in batches, followed as they are written, and replayed to the end even
when the run's process died before writing its last events."""

import asyncio
import json
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.utils import timezone

from agents import events
from agents.api.send_views import _follow
from agents.models import Run, RunEvent
from agents.runtime import event_log, event_wakeups
from agents.runtime.background import as_task_arguments, execute_queued, run_detached
from agents.runtime.event_log import EventRecorder
from agents.runtime.loop import queue_run
from tests.fakes import Reply
from tests.waiting import await_until

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


async def background_run(make_agent, **fields) -> Run:
    agent = await sync_to_async(make_agent)()
    return await Run.objects.acreate(organization_id=agent.organization_id, agent=agent, background=True, **fields)


async def replay(run_id: str, after: int = 0, poll_interval: float = 0.01, batch_size: int = 2) -> list[bytes]:
    return [
        chunk
        async for chunk in _follow(
            run_id, after=after, include_pings=False, poll_interval=poll_interval, batch_size=batch_size
        )
    ]


def kinds_of(frames: list[bytes]) -> list[str]:
    return [json.loads(frame.removeprefix(b"data: "))["message_type"] for frame in frames[:-1]]


@pytest.fixture
def event_log_reads(monkeypatch) -> list[int]:
    """How many events each look at the event log found."""
    found = []
    read_events = event_log.read_events

    def counted(run_id, **kwargs):
        events, run = read_events(run_id, **kwargs)
        found.append(len(events))
        return events, run

    monkeypatch.setattr(event_log, "read_events", counted)
    return found


HANG = 8.0  # seconds: only stops a hang; a follower that waited out its poll interval (10 s) would need longer
FOLLOWED_RUN = [
    "tool_call_message",
    "tool_return_message",
    "assistant_message",
    "stop_reason",
    "usage_statistics",
]


async def follow_a_queued_run(make_agent, fake_openai, reads: list[int]) -> list[bytes]:
    """A follower with a poll interval of 10 s looks at a queued run before a worker runs it; the frames it got."""
    agent = await sync_to_async(make_agent)()
    fake_openai.script(
        Reply(tool_calls=[("memory_insert", {"label": "human", "new_string": "Name: Ada"})]),
        Reply(text="Noted, Ada.", delay=0.3),
    )
    request = {"agent_id": agent.id, "input": "I'm Ada", "organization_id": agent.organization_id}
    run = await queue_run(**request)
    follower = asyncio.create_task(replay(run.id, poll_interval=10, batch_size=100))
    await await_until(lambda: reads, message="the follower's first look")
    await execute_queued(run.id, as_task_arguments(request))
    return await asyncio.wait_for(follower, HANG)


async def test_recorder_numbers_forwards_and_writes_in_batches(make_agent, monkeypatch):
    monkeypatch.setattr(event_log, "BATCH_SIZE", 3)
    run = await background_run(make_agent, status="running")
    forwarded = []

    async def forward(event):
        forwarded.append(event)

    recorder = EventRecorder(forward)
    recorder.run_id = run.id
    for n in range(4):
        await recorder({"message_type": "assistant_message", "content": str(n)})
    assert len(forwarded) == 4  # forwarded at once, whatever the writes are doing

    async def one_full_batch_written():  # written beside the stream; the fourth event is still pending
        return await RunEvent.objects.filter(run=run).acount() == 3

    await await_until(one_full_batch_written, message="the first batch of 3 events in the database")
    await recorder.close()
    stored = [e async for e in RunEvent.objects.filter(run=run).values_list("event", flat=True)]
    assert stored == forwarded and [e["seq_id"] for e in stored] == [1, 2, 3, 4]


async def test_a_run_that_died_before_its_ending_is_closed_from_its_record(make_agent):
    run = await background_run(
        make_agent,
        status="failed",
        stop_reason="error",
        completed_at=timezone.now() - timedelta(minutes=1),
        metadata={"error": {"error_type": "internal_error", "message": "The server stopped during this run."}},
    )
    await RunEvent.objects.acreate(run=run, seq_id=1, event={"message_type": "assistant_message", "seq_id": 1})
    frames = await replay(run.id)
    # Parsed, not compared as text: PostgreSQL's jsonb does not keep the order of keys.
    assert json.loads(frames[0].removeprefix(b"data: "))["message_type"] == "assistant_message"
    assert frames[1].startswith(b"event: error\n") and b"The server stopped" in frames[1]
    assert b'"stop_reason": "error"' in frames[2] and b'"usage_statistics"' in frames[3]
    assert frames[-1] == b"data: [DONE]\n\n"
    assert (await replay(run.id, after=1))[1:] == frames[2:]


async def test_following_a_run_whose_process_died_ends_it(make_agent, monkeypatch):
    monkeypatch.setattr(event_log, "ENDING_GRACE", timedelta(0))
    run = await background_run(make_agent, status="running", heartbeat_at=timezone.now() - timedelta(days=1))
    frames = await replay(run.id)
    assert b"The server process running this run stopped." in frames[0] and frames[-1] == b"data: [DONE]\n\n"
    run = await Run.objects.aget(pk=run.id)
    assert run.status == "failed" and run.stop_reason == "error"


async def test_the_next_background_run_sweeps_expired_events(make_agent, fake_openai):
    old = await background_run(
        make_agent, status="completed", stop_reason="end_turn", completed_at=timezone.now() - timedelta(hours=4)
    )
    await RunEvent.objects.acreate(run=old, seq_id=1, event={"message_type": "assistant_message", "seq_id": 1})
    fake_openai.script(Reply(text="hello"))

    result = await run_detached(agent_id=old.agent_id, input="hi", organization_id=old.organization_id)

    assert not await RunEvent.objects.filter(run=old).aexists()
    assert await Run.objects.filter(pk=old.id).aexists()  # the run itself stays readable
    assert await RunEvent.objects.filter(run_id=result.run_id).aexists()


async def test_a_follower_gets_each_batch_as_it_is_written_not_by_polling(make_agent, fake_openai, event_log_reads):
    frames = await follow_a_queued_run(make_agent, fake_openai, event_log_reads)

    assert kinds_of(frames) == FOLLOWED_RUN and frames[-1] == b"data: [DONE]\n\n"
    assert json.loads(frames[2].removeprefix(b"data: "))["content"] == "Noted, Ada."
    # It looked once before the run began, then only when told of new events: each of those looks found some.
    assert event_log_reads[0] == 0 and len(event_log_reads) > 1
    assert all(found for found in event_log_reads[1:]), event_log_reads


async def test_lost_announcements_leave_the_run_unharmed_and_the_follower_to_its_next_look(
    make_agent, fake_openai, settings, monkeypatch
):
    async def unreachable(run_id, seq_id):
        raise ConnectionError("Redis is down")

    if not settings.REDIS_URL:
        settings.REDIS_URL = "redis://127.0.0.1:9/0"  # announce across processes too, through the failing publish
    monkeypatch.setattr(events, "announce_written", unreachable)
    monkeypatch.setattr(event_wakeups, "_wake_here", lambda run_id, seq_id: None)  # nor do they reach this process
    agent = await sync_to_async(make_agent)()
    fake_openai.script(Reply(text="Still here."))

    result, frames = await asyncio.gather(
        run_detached(agent_id=agent.id, input="hi", organization_id=agent.organization_id),
        replay_when_started(agent.id),
    )

    assert result.stop_reason == "end_turn"
    assert kinds_of(frames) == ["assistant_message", "stop_reason", "usage_statistics"]


async def replay_when_started(agent_id: str) -> list[bytes]:
    run = await await_until(lambda: Run.objects.filter(agent_id=agent_id).afirst(), message="the run started")
    return await asyncio.wait_for(replay(run.id, poll_interval=0.05), HANG)
