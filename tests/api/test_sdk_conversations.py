"""Conversations through the unmodified letta-client SDK (its `conversations` family) against the live server:
threads of one agent with their own messages, sharing its memory; agent-direct mode (`default` + `agent_id`)."""

import pytest
from letta_client import APIStatusError, ConflictError, NotFoundError

from tests.api.helpers import create_agent
from tests.fakes import Reply

pytestmark = pytest.mark.django_db(transaction=True)


def _send(client, conversation_id: str, text: str, **extra) -> list:
    """A turn as Letta's clients send it (the conversation route streams), its events collected."""
    return list(client.conversations.messages.create(conversation_id, input=text, **extra))


def _last_text(events) -> str:
    return [e.content for e in events if e.message_type == "assistant_message"][-1]


def _texts(messages) -> list[str]:
    return [m.content for m in messages if m.message_type in ("user_message", "assistant_message")]


def test_two_conversations_keep_their_own_messages_and_share_memory(client, fake_openai):
    agent = create_agent(client)
    first = client.conversations.create(agent_id=agent.id, summary="Trip planning")
    second = client.conversations.create(agent_id=agent.id, summary="Recipes")
    assert first.id.startswith("conv-") and first.agent_id == agent.id and first.summary == "Trip planning"
    assert len(first.in_context_message_ids) == 1  # its own system message

    fake_openai.script(
        Reply(tool_calls=[("memory_insert", {"label": "human", "new_string": "Going to Lisbon in May"})]),
        Reply(text="Lisbon in May, noted."),
    )
    events = list(
        client.conversations.messages.create(
            first.id, messages=[{"role": "user", "content": "I'm going to Lisbon in May."}]
        )
    )
    assert _last_text(events) == "Lisbon in May, noted."
    assert f"CONVERSATION_ID: {first.id}" in fake_openai.requests[0]["messages"][0]["content"]

    fake_openai.script(Reply(text="Try a pastel de nata."))
    _send(client, second.id, "A dessert idea?")
    second_request = fake_openai.last_request["messages"]
    # The other thread's words are not in this one's context, but the memory it wrote is.
    assert not any("Lisbon in May." in str(m.get("content")) for m in second_request[1:])
    assert "Going to Lisbon in May" in second_request[0]["content"]

    assert _texts(client.conversations.messages.list(first.id, order="asc")) == [
        "I'm going to Lisbon in May.",
        "Lisbon in May, noted.",
    ]
    assert _texts(client.conversations.messages.list(second.id, order="asc")) == [
        "A dessert idea?",
        "Try a pastel de nata.",
    ]
    # The agent's own (default) thread saw none of it; without a conversation named, Letta lists every thread's.
    assert _texts(client.agents.messages.list(agent.id, conversation_id="default")) == []
    assert len(_texts(client.agents.messages.list(agent.id))) == 4
    listed = client.conversations.list(agent_id=agent.id, order="asc")
    assert [c.id for c in listed] == [first.id, second.id]


def test_agent_direct_mode_streams_by_default_into_the_agents_own_thread(client, fake_openai):
    agent = create_agent(client)
    fake_openai.script(Reply(text="Hello from the default thread."))
    stream = client.conversations.messages.create("default", agent_id=agent.id, input="hi")
    events = list(stream)
    kinds = [e.message_type for e in events]
    assert "assistant_message" in kinds and kinds[-2:] == ["stop_reason", "usage_statistics"]
    # Same thread as the agent routes: the agent's history has it, and the default listing agrees.
    assert _texts(client.agents.messages.list(agent.id, order="asc")) == ["hi", "Hello from the default thread."]
    assert _texts(client.conversations.messages.list("default", agent_id=agent.id, order="asc")) == [
        "hi",
        "Hello from the default thread.",
    ]


def test_default_without_an_agent_and_unknown_ids_are_clear_errors(client, fake_openai):
    agent = create_agent(client)
    with pytest.raises(APIStatusError) as refused:
        _send(client, "default", "hi")
    assert refused.value.status_code == 400 and "agent_id" in refused.value.response.json()["detail"]
    with pytest.raises(NotFoundError, match="conv-missing"):
        _send(client, "conv-missing", "hi")
    with pytest.raises(NotFoundError, match="conv-missing"):
        client.conversations.retrieve("conv-missing")
    with pytest.raises(NotFoundError):
        client.conversations.create(agent_id="agent-missing")
    assert fake_openai.requests == []
    assert client.conversations.list(agent_id=agent.id) == []


def test_update_archive_search_and_delete(client, fake_openai):
    agent = create_agent(client)
    kept = client.conversations.create(agent_id=agent.id, summary="Quarterly report")
    other = client.conversations.create(agent_id=agent.id, summary="Birthday party")
    hidden = client.conversations.create(agent_id=agent.id, summary="Report (hidden)", hidden=True)

    renamed = client.conversations.update(kept.id, summary="Quarterly report, Q3", description="numbers")
    assert renamed.summary == "Quarterly report, Q3" and renamed.description == "numbers"
    assert [c.id for c in client.conversations.list(agent_id=agent.id, summary_search="report")] == [kept.id]

    archived = client.conversations.update(other.id, archived=True)
    assert archived.archived and archived.archived_at is not None
    assert [c.id for c in client.conversations.list(agent_id=agent.id)] == [kept.id]
    assert [c.id for c in client.conversations.list(agent_id=agent.id, archive_status="archived")] == [other.id]
    assert hidden.id not in {c.id for c in client.conversations.list(agent_id=agent.id, archive_status="all")}

    client.conversations.delete(other.id)
    with pytest.raises(NotFoundError):
        client.conversations.retrieve(other.id)
    assert client.agents.retrieve(agent.id).id == agent.id  # the agent stays


def test_list_pages_with_cursors_in_both_orders(client, fake_openai):
    agent = create_agent(client)
    made = [client.conversations.create(agent_id=agent.id, summary=f"c{n}").id for n in range(5)]
    first = client.conversations.list(agent_id=agent.id, order="asc", limit=2)
    assert [c.id for c in first] == made[:2]
    rest = client.conversations.list(agent_id=agent.id, order="asc", after=first[-1].id, limit=10)
    assert [c.id for c in rest] == made[2:]
    newest = client.conversations.list(agent_id=agent.id, order="desc", limit=2)
    assert [c.id for c in newest] == made[::-1][:2]


def test_fork_copies_the_context_and_then_diverges(client, fake_openai):
    agent = create_agent(client)
    source = client.conversations.create(agent_id=agent.id)
    fake_openai.script(Reply(text="First answer."))
    _send(client, source.id, "first question")

    fork = client.conversations.fork(source.id)
    assert fork.id != source.id and len(fork.in_context_message_ids) == len(
        client.conversations.retrieve(source.id).in_context_message_ids
    )
    fake_openai.script(Reply(text="Only in the fork."))
    _send(client, fork.id, "second question")
    assert "first question" in str(fake_openai.last_request["messages"])
    assert _texts(client.conversations.messages.list(fork.id, order="asc")) == [
        "first question",
        "First answer.",
        "second question",
        "Only in the fork.",
    ]
    assert _texts(client.conversations.messages.list(source.id, order="asc")) == ["first question", "First answer."]

    # A fork of the agent's own thread, in agent-direct mode.
    fake_openai.script(Reply(text="Default answer."))
    client.agents.messages.create(agent.id, input="in the default thread")
    from_default = client.conversations.fork("default", agent_id=agent.id)
    assert _texts(client.conversations.messages.list(from_default.id, order="asc")) == [
        "in the default thread",
        "Default answer.",
    ]


def test_one_run_per_conversation_and_cancel_stops_it(client, fake_openai):
    agent = create_agent(client)
    busy = client.conversations.create(agent_id=agent.id)
    free = client.conversations.create(agent_id=agent.id)
    fake_openai.script(Reply(text="slow", delay=30))
    client.conversations.messages.create(busy.id, input="take your time", background=True)
    run_id = _active_run(client, agent.id)

    with pytest.raises(ConflictError, match="already processing"):
        _send(client, busy.id, "again")
    # Another conversation of the same agent is not blocked.
    fake_openai.script(Reply(text="meanwhile"))
    assert _last_text(_send(client, free.id, "hi")) == "meanwhile"

    cancelled = client.conversations.cancel(busy.id)
    assert cancelled == {run_id: "cancelled"}
    assert _wait_for_status(client, run_id) == "cancelled"
    with pytest.raises(ConflictError, match="no active run"):
        client.conversations.cancel(busy.id)


def test_cancel_by_agent_id_in_the_conversations_place(client, fake_openai):
    """Letta Code's Esc: POST /v1/conversations/{agent_id}/cancel."""
    agent = create_agent(client)
    fake_openai.script(Reply(text="slow", delay=30))
    client.conversations.messages.create("default", agent_id=agent.id, input="go", background=True)
    run_id = _active_run(client, agent.id)
    assert client.conversations.cancel(agent.id) == {run_id: "cancelled"}
    assert _wait_for_status(client, run_id) == "cancelled"


def test_resume_a_background_stream_of_a_conversation(client, fake_openai):
    agent = create_agent(client)
    conversation = client.conversations.create(agent_id=agent.id)
    fake_openai.script(Reply(text="resumable answer"))
    events = list(client.conversations.messages.create(conversation.id, input="hi", background=True))
    run_id = events[0].run_id
    replay = list(client.conversations.messages.stream(conversation.id, run_id=run_id))
    assert any(getattr(e, "content", None) == "resumable answer" for e in replay)
    with pytest.raises(NotFoundError, match="No run to stream"):
        list(client.conversations.messages.stream(conversation.id))


def test_compact_and_recompile_one_conversation(client, fake_openai):
    agent = create_agent(client)
    conversation = client.conversations.create(agent_id=agent.id)
    for n in range(3):
        fake_openai.script(Reply(text=f"answer {n}"))
        _send(client, conversation.id, f"question {n}")
    fake_openai.script(Reply(text="They asked three questions."))
    compacted = client.conversations.messages.compact(conversation.id)
    assert compacted.summary == "They asked three questions."
    assert compacted.num_messages_after < compacted.num_messages_before
    # The agent's own thread is untouched.
    assert len(client.agents.retrieve(agent.id).message_ids) == 1

    prompt = client.conversations.recompile(conversation.id)
    assert f"CONVERSATION_ID: {conversation.id}" in prompt
    assert "CONVERSATION_ID" not in client.conversations.recompile("default", agent_id=agent.id)


def test_a_conversation_model_and_context_window_override_the_agents(client, fake_openai):
    agent = create_agent(client)
    conversation = client.conversations.create(
        agent_id=agent.id,
        model="openai/gpt-4.1-nano",
        model_settings={"provider_type": "openai", "temperature": 0.2, "max_output_tokens": 321},
        context_window_limit=20_000,
    )
    assert conversation.model == "openai/gpt-4.1-nano" and conversation.context_window_limit == 20_000
    fake_openai.script(Reply(text="small model"))
    _send(client, conversation.id, "hi")
    sent = fake_openai.last_request
    assert sent["model"] == "gpt-4.1-nano" and sent["temperature"] == 0.2
    assert sent.get("max_tokens") == 321 or sent.get("max_completion_tokens") == 321
    assert client.agents.retrieve(agent.id).model != "openai/gpt-4.1-nano"

    with pytest.raises(APIStatusError) as refused:
        client.conversations.create(agent_id=agent.id, model="nowhere/model")
    assert refused.value.status_code == 400 and "nowhere" in refused.value.response.json()["detail"]


def test_recall_search_covers_the_conversation_it_runs_in(client, fake_openai):
    agent = create_agent(client)
    elsewhere = client.conversations.create(agent_id=agent.id)
    fake_openai.script(Reply(text="ok"))
    _send(client, elsewhere.id, "the password is swordfish")
    here = client.conversations.create(agent_id=agent.id)
    fake_openai.script(Reply(tool_calls=[("conversation_search", {"query": "swordfish"})]), Reply(text="Not found."))
    events = _send(client, here.id, "what was the password?")
    tool_return = next(m for m in events if m.message_type == "tool_return_message")
    assert "swordfish" not in tool_return.tool_return and here.id in tool_return.tool_return

    overview = client.get(
        f"/v1/agents/{agent.id}/context", cast_to=object, options={"params": {"conversation_id": here.id}}
    )
    assert overview["conversation_id"] == here.id and overview["num_recall_memory"] == 5


def _active_run(client, agent_id: str) -> str:
    from tests.waiting import wait_until

    wait_until(lambda: client.runs.list(agent_id=agent_id, active=True).items, message="a run to start")
    return client.runs.list(agent_id=agent_id, active=True).items[0].id


def _wait_for_status(client, run_id: str) -> str:
    from tests.waiting import wait_until

    wait_until(lambda: client.runs.retrieve(run_id).status != "running", message=f"run {run_id} to end")
    return client.runs.retrieve(run_id).status


def test_the_stream_names_its_run_before_the_model_answers_so_esc_can_cancel_it(client, fake_openai):
    agent = create_agent(client)
    fake_openai.script(Reply(text="too late", delay=30))
    events = iter(client.conversations.messages.create("default", agent_id=agent.id, input="go"))
    first = next(events)
    assert first.message_type == "ping" and first.run_id
    assert client.runs.retrieve(first.run_id).status == "running"
    assert client.conversations.cancel(agent.id) == {first.run_id: "cancelled"}
    rest = list(events)
    assert [e.stop_reason for e in rest if e.message_type == "stop_reason"] == ["cancelled"]
    assert not any(getattr(e, "content", None) == "too late" for e in rest)
