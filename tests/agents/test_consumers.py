"""The websocket is one reader of the agent's events: it sees each step as the loop emits it."""

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator

from agents.runtime.loop import run_agent
from letta_project.asgi import application
from tests.fakes import Reply

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


async def test_websocket_receives_the_steps_of_a_run(make_agent, fake_openai):
    agent = await sync_to_async(make_agent)()
    watcher = WebsocketCommunicator(application, f"/ws/agents/{agent.id}/")
    connected, _ = await watcher.connect()
    assert connected
    fake_openai.script(
        Reply(tool_calls=[("memory_insert", {"label": "human", "new_string": "Likes jazz"})]),
        Reply(text="Jazz it is."),
    )

    await run_agent(agent.id, input="I like jazz")

    seen = []
    while not await watcher.receive_nothing(timeout=0.1):
        seen.append(await watcher.receive_json_from())
    kinds = [event["message_type"] for event in seen]
    assert kinds == ["tool_call_message", "tool_return_message", "assistant_message", "stop_reason",
                     "usage_statistics"]
    assert seen[2]["content"] == "Jazz it is."
    await watcher.disconnect()
