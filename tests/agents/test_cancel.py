"""Cancelling a run takes effect while the model is still answering, and leaves a history the next run can use."""

import asyncio

import pytest
from asgiref.sync import sync_to_async

from agents.models import Message, Run, Step
from agents.runtime import run_lifecycle
from agents.runtime.loop import run_agent
from tests.fakes import Reply
from tests.waiting import await_until

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


async def test_cancel_during_the_provider_call_stops_the_run(make_agent, fake_openai):
    agent = await sync_to_async(make_agent)()
    fake_openai.script(Reply(text="Never shown.", delay=5.0))
    running = asyncio.ensure_future(run_agent(agent.id, input="slow please"))
    await await_until(lambda: fake_openai.requests, message="the model request")  # the model is answering
    await sync_to_async(run_lifecycle.request_cancel)(agent.id)

    result = await running
    assert result.stop_reason == "cancelled"
    assert [s.status async for s in Step.objects.filter(run_id=result.run_id)] == ["cancelled"]
    assert not await Message.objects.filter(agent=agent, text="Never shown.").aexists()

    fake_openai.script(Reply(text="Back again."))
    assert (await run_agent(agent.id, input="hi")).messages[-1]["content"] == "Back again."


async def test_a_cancel_acknowledged_after_the_last_check_still_ends_the_run_cancelled(
    make_agent, fake_openai, monkeypatch
):
    """The window that let a cancel answer "cancelled" while the run went on to end_turn: the last step is done,
    the run not yet finished. A cancel arriving exactly there is forced here by cancelling just before finish_run
    (no timing involved); the run must then end as cancelled, as the answer said."""
    agent = await sync_to_async(make_agent)()
    fake_openai.script(Reply(text="Done already."))
    finish, answers = run_lifecycle.finish_run, []

    def cancel_then_finish(run_id, agent_id, stop_reason, **kwargs):
        answers.append(run_lifecycle.request_cancel(agent_id))
        return finish(run_id, agent_id, stop_reason, **kwargs)

    monkeypatch.setattr(run_lifecycle, "finish_run", cancel_then_finish)
    result = await run_agent(agent.id, input="hi")

    assert answers == [{result.run_id: "cancelled"}]
    assert result.stop_reason == "cancelled"
    run = await Run.objects.aget(pk=result.run_id)
    assert (run.status, run.stop_reason) == (Run.Status.CANCELLED, "cancelled")


async def test_a_cancel_after_the_run_finished_says_it_could_not(make_agent, fake_openai):
    agent = await sync_to_async(make_agent)()
    fake_openai.script(Reply(text="All done."))
    result = await run_agent(agent.id, input="hi")
    assert await sync_to_async(run_lifecycle.request_cancel)(agent.id, [result.run_id]) == {}
    run = await Run.objects.aget(pk=result.run_id)
    assert (run.status, run.stop_reason, run.cancel_requested) == (Run.Status.COMPLETED, "end_turn", False)
