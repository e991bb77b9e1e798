"""SSE streaming of a send (`streaming=true`, `/messages/stream`) against a live server, with the unmodified SDK."""

import httpx
import pytest
from letta_client import NotFoundError
from letta_client.types import ToolReturnMessage
from letta_client.types.agents import AssistantMessage, ReasoningMessage, ToolCallMessage

from accounts import services as accounts
from accounts.models import Organization
from tests.api.helpers import ONE_TOOL_THEN_ANSWER, create_agent
from tests.fakes import Reply
from tests.waiting import wait_until

# `messages.stream` is marked deprecated by the SDK (in favour of `create(streaming=True)`), but users call it.
pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.filterwarnings("ignore:deprecated:DeprecationWarning"),
]


@pytest.fixture
def key(letta_server, fake_openai):
    return accounts.create_api_key(organization_id=Organization.default().id, name="stream test")[1]


def test_stream_tokens_yields_chunks_that_join_to_the_reply(client, fake_openai):
    agent = create_agent(client)
    text = "Hello there, nice to meet you today!"
    fake_openai.script(Reply(text=text))
    events = list(
        client.agents.messages.stream(
            agent.id,
            messages=[{"role": "user", "content": "Hi"}],
            stream_tokens=True,
        )
    )
    kinds = [e.message_type for e in events]
    assert kinds[0] == "ping" and events[0].run_id
    assert kinds[-2:] == ["stop_reason", "usage_statistics"]
    chunks = [e for e in events if e.message_type == "assistant_message"]
    assert len(chunks) > 2 and len({c.id for c in chunks}) == 1
    assert "".join(c.content for c in chunks) == text
    assert events[-2].stop_reason == "end_turn" and events[-1].step_count == 1
    # The run was persisted: the history holds the whole reply once.
    history = [m for m in client.agents.messages.list(agent.id, order="asc") if m.message_type == "assistant_message"]
    assert [m.content for m in history] == [text]


def test_token_chunks_parse_as_their_own_message_classes(client, fake_openai):
    """Each chunk carries a `date` (the SDK's union cannot parse it as its own type without one) and the otid of the
    stored part it builds, so a client can join the chunks and match them with the history."""
    agent = create_agent(client)
    fake_openai.script(
        Reply(
            reasoning="The user wants a note.", tool_calls=[("memory_insert", {"label": "human", "new_string": "x"})]
        ),
        Reply(reasoning="Now answer.", text="All noted, thank you!"),
    )
    events = list(client.agents.messages.stream(agent.id, input="note x", stream_tokens=True, include_pings=False))
    classes = {
        "reasoning_message": ReasoningMessage,
        "assistant_message": AssistantMessage,
        "tool_call_message": ToolCallMessage,
        "tool_return_message": ToolReturnMessage,
    }
    chunks = [e for e in events if e.message_type in classes]
    assert {e.message_type for e in chunks} == set(classes)
    for chunk in chunks:
        assert type(chunk) is classes[chunk.message_type], chunk
        assert chunk.date is not None and chunk.otid
    history = {(m.id, m.message_type): m.otid for m in client.agents.messages.list(agent.id, order="asc")}
    assert all(history[(c.id, c.message_type)] == c.otid for c in chunks)


def test_step_mode_streams_full_messages(client, fake_openai):
    agent = create_agent(client)
    fake_openai.script(
        Reply(tool_calls=[("memory_insert", {"label": "human", "new_string": "Name: Ada"})]),
        Reply(text="Noted, Ada."),
    )
    events = list(client.agents.messages.stream(agent.id, input="I'm Ada", include_pings=False))
    assert [e.message_type for e in events] == ONE_TOOL_THEN_ANSWER
    call = next(e for e in events if e.message_type == "tool_call_message")
    assert call.tool_call.name == "memory_insert"
    assert next(e for e in events if e.message_type == "assistant_message").content == "Noted, Ada."
    assert events[-1].step_count == 2
    assert "Name: Ada" in client.agents.blocks.retrieve("human", agent_id=agent.id).value


def test_create_with_streaming_true_returns_a_stream(client, fake_openai):
    agent = create_agent(client)
    fake_openai.script(Reply(text="Streamed via create."))
    stream = client.agents.messages.create(agent.id, input="hi", streaming=True, stream_tokens=True)
    events = list(stream)
    text = "".join(e.content for e in events if e.message_type == "assistant_message")
    assert text == "Streamed via create." and events[-1].message_type == "usage_statistics"


def test_include_return_message_types_filters_messages_not_the_ending(client, fake_openai):
    agent = create_agent(client)
    fake_openai.script(
        Reply(tool_calls=[("memory_insert", {"label": "human", "new_string": "x"})]),
        Reply(text="done"),
    )
    events = list(
        client.agents.messages.stream(
            agent.id,
            input="go",
            include_pings=False,
            include_return_message_types=["assistant_message"],
        )
    )
    assert [e.message_type for e in events] == ["assistant_message", "stop_reason", "usage_statistics"]


def test_unknown_agent_is_a_json_404(client):
    with pytest.raises(NotFoundError):
        list(client.agents.messages.stream("agent-00000000-0000-0000-0000-000000000000", input="hi"))


def test_raw_framing_and_flag_validation(letta_server, key, client, fake_openai):
    agent = create_agent(client)
    headers = {"Authorization": f"Bearer {key}"}
    url = f"{letta_server.url}/v1/agents/{agent.id}/messages"
    fake_openai.script(Reply(text="raw"))
    response = httpx.post(url, json={"input": "hi", "streaming": True}, headers=headers, timeout=30)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/event-stream")
    frames = response.text.split("\n\n")
    assert frames[0].startswith('data: {"message_type": "ping"')
    assert frames[-2] == "data: [DONE]" and frames[-1] == ""
    assert all(f.startswith("data: ") for f in frames[:-1])

    for body in (
        {"input": "hi", "stream_tokens": True},
        {"input": "hi", "include_pings": False},
        {"input": "hi", "background": True},
    ):
        response = httpx.post(url, json=body, headers=headers, timeout=30)
        assert response.status_code == 422, body


def test_mid_run_error_is_an_error_event_then_the_ending(letta_server, key, client, fake_openai):
    agent = create_agent(client)
    fake_openai.script(Reply.server_error())
    response = httpx.post(
        f"{letta_server.url}/v1/agents/{agent.id}/messages/stream",
        json={"input": "hi", "include_pings": False},
        headers={"Authorization": f"Bearer {key}"},
        timeout=30,
    )
    frames = [f for f in response.text.split("\n\n") if f]
    errors = [f for f in frames if f.startswith("event: error\ndata: ")]
    assert len(errors) == 1 and '"error_message"' in errors[0]
    assert frames[-3] == 'data: {"message_type": "stop_reason", "stop_reason": "llm_api_error"}'
    assert '"usage_statistics"' in frames[-2]
    assert frames[-1] == "data: [DONE]"


def test_run_finishes_when_the_client_disconnects(letta_server, key, client, fake_openai):
    agent = create_agent(client)
    fake_openai.script(
        Reply(tool_calls=[("memory_insert", {"label": "human", "new_string": "Name: Cy"})]),
        Reply(text="You left early.", delay=3.0),
    )
    with httpx.stream(
        "POST",
        f"{letta_server.url}/v1/agents/{agent.id}/messages/stream",
        json={"input": "hi", "include_pings": False},
        headers={"Authorization": f"Bearer {key}"},
        timeout=30,
    ) as response:
        for line in response.iter_lines():
            if line.startswith("data:"):
                assert "tool_call_message" in line
                break  # the first step arrived; hang up while the model is still writing the second
    contents = [getattr(m, "content", None) for m in client.agents.messages.list(agent.id, order="asc")]
    assert "You left early." not in contents  # really gone before the end of the run

    # The run goes on without its client and persists the reply (a bounded wait, not a timing assertion).
    def persisted():
        return "You left early." in [getattr(m, "content", None) for m in client.agents.messages.list(agent.id)]

    wait_until(persisted, message="the reply persisted after the client hung up", interval=0.1)
    assert (
        client.runs.retrieve(client.agents.messages.list(agent.id, order="desc", limit=1).items[0].run_id).status
        == "completed"
    )
    # And the agent is free again for the next run.
    fake_openai.script(Reply(text="again"))
    assert client.agents.messages.create(agent.id, input="hi").messages[-1].content == "again"


def test_approval_through_the_stream(client, fake_openai):
    agent = create_agent(client, tool_rules=[{"type": "requires_approval", "tool_name": "memory_insert"}])
    fake_openai.script(Reply(tool_calls=[("memory_insert", {"label": "human", "new_string": "Name: Bo"})]))
    events = list(client.agents.messages.stream(agent.id, input="I'm Bo", include_pings=False))
    request = next(e for e in events if e.message_type == "approval_request_message")
    assert events[-2].stop_reason == "requires_approval"
    assert "Name: Bo" not in client.agents.blocks.retrieve("human", agent_id=agent.id).value

    # A new message while the approval is pending is refused before any stream starts.
    with pytest.raises(Exception) as refused:
        list(client.agents.messages.stream(agent.id, input="hello?"))
    assert getattr(refused.value, "status_code", None) == 409

    fake_openai.script(Reply(text="Saved, Bo."))
    events = list(
        client.agents.messages.stream(
            agent.id,
            include_pings=False,
            messages=[
                {
                    "type": "approval",
                    "approvals": [
                        {"type": "approval", "tool_call_id": request.tool_call.tool_call_id, "approve": True}
                    ],
                },
            ],
        )
    )
    kinds = [e.message_type for e in events]
    assert "tool_return_message" in kinds and kinds[-2:] == ["stop_reason", "usage_statistics"]
    assert events[-2].stop_reason == "end_turn"
    assert "Name: Bo" in client.agents.blocks.retrieve("human", agent_id=agent.id).value
