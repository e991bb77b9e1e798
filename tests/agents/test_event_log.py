"""Background-run events: numbered, written in batches, and replayed to the end even when the run's process
died before writing its last events."""

import json
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.utils import timezone

from agents.api.send_views import _follow
from agents.models import Run, RunEvent
from agents.runtime import event_log
from agents.runtime.background import run_detached
from agents.runtime.event_log import EventRecorder
from tests.fakes import Reply
from tests.waiting import await_until

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


async def background_run(make_agent, **fields) -> Run:
    agent = await sync_to_async(make_agent)()
    return await Run.objects.acreate(organization_id=agent.organization_id, agent=agent, background=True, **fields)


async def replay(run_id: str, after: int = 0) -> list[bytes]:
    return [
        chunk async for chunk in _follow(run_id, after=after, include_pings=False, poll_interval=0.01, batch_size=2)
    ]


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
