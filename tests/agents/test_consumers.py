"""The websocket is one reader of the agent's events: it sees each step as the loop emits it."""

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator

from accounts import services as accounts
from accounts.models import Organization
from agents import events
from agents.runtime.loop import run_agent
from letta_project.asgi import application
from tests.fakes import Reply
from tests.waiting import await_until

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


async def _bearer(organization_id: str) -> list[tuple[bytes, bytes]]:
    _, key = await sync_to_async(accounts.create_api_key)(organization_id=organization_id, name="watcher")
    return [(b"authorization", f"Bearer {key}".encode())]


async def _close_code(path: str, headers) -> int:
    socket = WebsocketCommunicator(application, path, headers=headers)
    connected, _ = await socket.connect()
    assert connected  # accepted, then closed with a code that says why
    closed = await socket.receive_output(timeout=2)
    await socket.wait()
    return closed["code"]


async def _watch(agent) -> WebsocketCommunicator:
    watcher = WebsocketCommunicator(
        application, f"/ws/agents/{agent.id}/", headers=await _bearer(agent.organization_id)
    )
    connected, _ = await watcher.connect()
    assert connected
    return watcher


async def _events_of_one_run(watcher) -> list[dict]:
    seen = []

    async def the_last_event_arrived():
        if not await watcher.receive_nothing(timeout=0.05):
            seen.append(await watcher.receive_json_from())
        return seen and seen[-1]["message_type"] == "run_finished"

    await await_until(the_last_event_arrived, message="the run's last event (run_finished) on the websocket")
    while not await watcher.receive_nothing(timeout=0.1):  # and anything after it, which would be a mistake
        seen.append(await watcher.receive_json_from())
    return seen


async def test_websocket_receives_the_steps_of_a_run(make_agent, fake_openai):
    agent = await sync_to_async(make_agent)()
    watcher = await _watch(agent)
    fake_openai.script(
        Reply(tool_calls=[("memory_insert", {"label": "human", "new_string": "Likes jazz"})]),
        Reply(text="Jazz it is."),
    )

    result = await run_agent(agent.id, input="I like jazz")

    seen = await _events_of_one_run(watcher)
    kinds = [event["message_type"] for event in seen]
    assert kinds == [
        "run_started",
        "user_message",  # what was said, for a page that did not say it
        "tool_call_message",
        "tool_return_message",
        "step_finished",
        "assistant_message",
        "step_finished",
        "stop_reason",
        "usage_statistics",
        "run_finished",
    ]
    assert seen[0] == {
        "message_type": "run_started",
        "run_id": result.run_id,
        "stream_tokens": False,
        "conversation_id": None,
    }
    assert seen[1]["content"] == "I like jazz" and seen[1]["run_id"] == result.run_id
    human = await sync_to_async(lambda: agent.blocks.get(label="human").id)()
    assert seen[4]["changed_block_ids"] == [human] and seen[6]["changed_block_ids"] == []
    assert seen[5]["content"] == "Jazz it is."
    finished = seen[-1]
    assert finished["run_id"] == result.run_id and finished["stop_reason"] == "end_turn"
    assert finished["status"] == "completed" and finished["step_count"] == 2 and finished["total_tokens"] > 0
    await watcher.disconnect()


async def test_an_event_published_as_soon_as_the_socket_opens_reaches_it(make_agent):
    # A page opens its socket, then starts a run: once the socket is open it must already be subscribed.
    agent = await sync_to_async(make_agent)()
    watcher = await _watch(agent)

    await events.publish(agent.id, {"message_type": "run_started", "run_id": "run-1"})

    assert await watcher.receive_json_from(timeout=2) == {"message_type": "run_started", "run_id": "run-1"}
    await watcher.disconnect()


async def test_streamed_tokens_are_marked_and_followed_by_the_stored_message(make_agent, fake_openai):
    agent = await sync_to_async(make_agent)()
    watcher = await _watch(agent)
    fake_openai.script(Reply(text="Hello there, friend."))

    await run_agent(agent.id, input="hi", stream_tokens=True)

    seen = await _events_of_one_run(watcher)
    replies = [e for e in seen if e["message_type"] == "assistant_message"]
    deltas = [e for e in replies if e.get("delta")]
    assert len(deltas) > 1 and "".join(e["content"] for e in deltas) == "Hello there, friend."
    whole = replies[-1]
    assert not whole.get("delta") and whole["content"] == "Hello there, friend." and whole["otid"]
    assert {e["id"] for e in replies} == {whole["id"]}  # one message: the stored whole replaces its deltas
    await watcher.disconnect()


async def test_a_reader_needs_a_key_of_the_agents_organization(make_agent):
    agent = await sync_to_async(make_agent)()
    path = f"/ws/agents/{agent.id}/"
    other = await sync_to_async(Organization.objects.create)(name="other")

    assert await _close_code(path, []) == 4401
    assert await _close_code(path, [(b"authorization", b"Bearer sk-let-wrong")]) == 4401
    assert await _close_code(path, await _bearer(other.id)) == 4404
    assert await _close_code("/ws/agents/agent-unknown/", await _bearer(agent.organization_id)) == 4404


async def test_a_signed_in_session_counts_only_from_this_servers_own_pages(make_agent, client, django_user_model):
    agent = await sync_to_async(make_agent)()
    user = await sync_to_async(django_user_model.objects.create_superuser)("ada", password="pw-for-tests")
    await sync_to_async(client.force_login)(user)
    cookie = f"sessionid={client.cookies['sessionid'].value}".encode()
    path = f"/ws/agents/{agent.id}/"
    own_page = [(b"cookie", cookie), (b"host", b"testserver"), (b"origin", b"http://testserver")]
    foreign_page = [(b"cookie", cookie), (b"host", b"testserver"), (b"origin", b"https://evil.example")]

    watcher = WebsocketCommunicator(application, path, headers=own_page)
    connected, _ = await watcher.connect()
    assert connected and await watcher.receive_nothing(timeout=0.2)  # subscribed, not closed
    await watcher.disconnect()
    assert await _close_code(path, foreign_page) == 4401


async def test_a_run_whose_events_cannot_be_published_still_ends_and_is_stored(make_agent, fake_openai, monkeypatch):
    from channels.layers import get_channel_layer

    from agents.models import Message

    agent = await sync_to_async(make_agent)()
    fake_openai.script(Reply(text="Still here."))

    async def refuse(*args, **kwargs):
        raise ConnectionError("the channel layer is down")

    monkeypatch.setattr(get_channel_layer(), "group_send", refuse)
    result = await run_agent(agent.id, input="hello")

    assert result.stop_reason == "end_turn"
    assert [m["content"] for m in result.messages if m["message_type"] == "assistant_message"] == ["Still here."]
    assert await Message.objects.filter(agent_id=agent.id, text="Still here.").aexists()
