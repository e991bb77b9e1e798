"""Cancelling a run takes effect while the model is still answering, and leaves a history the next run can use."""

import asyncio

import pytest
from asgiref.sync import sync_to_async

from agents.models import Message, Step
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
