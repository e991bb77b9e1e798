"""Run leases in one process: renewed while a step waits, never taken from a run this process still runs, and a
run whose lease lapsed ends when met (a start, a cancel). Killed and stopped servers: tests/api/test_crash_recovery.py.
"""

import asyncio
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.utils import timezone

from agents.models import Message, Run
from agents.runtime import leases, run_lifecycle
from agents.runtime.loop import run_agent
from tests.fakes import Reply
from tests.waiting import await_until

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


def _orphan(agent, **fields) -> Run:
    """A run as a process that died left it: active, its lease last renewed a minute ago."""
    return Run.objects.create(
        organization_id=agent.organization_id,
        agent=agent,
        status=Run.Status.RUNNING,
        heartbeat_at=timezone.now() - timedelta(minutes=1),
        **fields,
    )


async def test_a_step_waiting_for_the_model_keeps_renewing_its_lease(make_agent, fake_openai, settings):
    settings.RUN_LEASE_SECONDS = 0.4
    agent = await sync_to_async(make_agent)()
    fake_openai.script(Reply(text="slow answer", delay=3))
    task = asyncio.create_task(run_agent(agent.id, input="hi"))
    await await_until(Run.objects.filter(agent=agent).aexists, message="the run to start")
    first = (await Run.objects.aget(agent=agent)).heartbeat_at

    async def renewed():
        return (await Run.objects.aget(agent=agent)).heartbeat_at > first

    await await_until(renewed, message="the lease to be renewed while the model is awaited")
    # Renewed, so a start meeting it does not take it for a dead process's run.
    assert await sync_to_async(run_lifecycle.end_lapsed)(agent.id) == []
    assert (await task).stop_reason == "end_turn"


async def test_a_run_this_process_holds_is_never_ended_as_lapsed(make_agent):
    agent = await sync_to_async(make_agent)()
    run = await sync_to_async(_orphan)(agent)
    with leases.hold(run.id):  # its renewal is late (a locked database), but this process is alive
        assert await sync_to_async(run_lifecycle.end_lapsed)() == []
    assert await sync_to_async(run_lifecycle.end_lapsed)() == [run.id]


async def test_a_send_to_an_agent_whose_run_lapsed_ends_that_run_and_proceeds(make_agent, fake_openai):
    agent = await sync_to_async(make_agent)()
    orphan = await sync_to_async(_orphan)(agent, pending_input=[{"role": "user", "text": "lost?", "content": []}])
    fake_openai.script(Reply(text="Here."))

    result = await run_agent(agent.id, input="hello")

    assert result.stop_reason == "end_turn"
    orphan = await Run.objects.aget(pk=orphan.id)
    assert orphan.status == "failed" and orphan.pending_input is None
    assert await Message.objects.filter(run=orphan, text="lost?").aexists()


async def test_a_cancel_of_a_run_no_process_holds_ends_it_at_once(make_agent):
    agent = await sync_to_async(make_agent)()
    orphan = await sync_to_async(_orphan)(agent)

    answer = await sync_to_async(run_lifecycle.request_cancel)(agent.id)

    assert answer == {orphan.id: "cancelled"}
    orphan = await Run.objects.aget(pk=orphan.id)
    assert (orphan.status, orphan.stop_reason) == ("cancelled", "cancelled")


async def test_the_lease_thread_connects_around_the_connection_pool():
    """Under a burst the pool can be busy for longer than a lease lasts: renewals must not wait their turn there."""
    import threading

    from django.db import connection, connections

    shared = connections.settings["default"].setdefault("OPTIONS", {})
    shared["pool"] = {"min_size": 1, "max_size": 1}
    seen = {}

    def lease_thread():
        leases.bypass_pool()
        seen["options"] = dict(connection.settings_dict["OPTIONS"])
        seen["others_pooled"] = "pool" in connections.settings["default"]["OPTIONS"]

    try:
        thread = threading.Thread(target=lease_thread)
        thread.start()
        thread.join()
    finally:
        shared.pop("pool")
    assert "pool" not in seen["options"] and seen["others_pooled"]  # every other thread keeps the pool
    assert seen["options"] == shared  # and the rest of its settings are every thread's


async def test_a_renewal_that_fails_anywhere_is_logged_and_the_next_one_still_runs(monkeypatch, caplog):
    """The lease thread must outlive any database trouble, even in tidying its connection after a renewal."""

    def unusable():
        raise RuntimeError("the database went away")

    monkeypatch.setattr(leases, "close_old_connections", unusable)
    await sync_to_async(leases.renew_once)()  # does not raise, so the thread's loop goes on
    assert "could not renew run leases" in caplog.text

    monkeypatch.undo()
    caplog.clear()
    await sync_to_async(leases.renew_once)()
    assert "could not renew" not in caplog.text
