"""`/v1/messages` (the organization's history, one message, full-text search) and one agent's single message."""

import json
from datetime import UTC, datetime

import pytest

from agents.models import Message

pytestmark = pytest.mark.django_db


@pytest.fixture
def say(org):
    def say(agent, text, role="user", **fields):
        return Message.objects.create(
            organization=org, agent=agent, role=role, text=text, content=[{"type": "text", "text": text}], **fields
        )

    return say


def search(api, **body):
    return api.post("/v1/messages/search", json.dumps(body), content_type="application/json")


def test_retrieve_one_message_as_its_letta_messages(api, make_agent, say):
    agent = make_agent()
    message = say(agent, "Hello there")
    for path in (f"/v1/messages/{message.id}", f"/v1/agents/{agent.id}/messages/{message.id}"):
        parts = api.get(path).json()
        assert [(p["message_type"], p["content"], p["id"]) for p in parts] == [
            ("user_message", "Hello there", message.id)
        ]


def test_an_unknown_message_or_one_of_another_agent_is_not_found(api, make_agent, say):
    first, second = make_agent(name="first"), make_agent(name="second")
    message = say(first, "mine")
    response = api.get(f"/v1/agents/{second.id}/messages/{message.id}")
    assert response.status_code == 404 and message.id in response.json()["detail"]
    assert api.get("/v1/messages/message-nope").status_code == 404


def test_the_list_spans_the_organizations_agents_and_pages_by_cursor(api, make_agent, say):
    first, second = make_agent(name="first"), make_agent(name="second")
    before = set(Message.objects.values_list("id", flat=True))  # the agents' system messages
    ours = [say(first, "one").id, say(second, "two").id, say(first, "three").id]
    listed = [m["id"] for m in api.get("/v1/messages/?order=asc&limit=1000").json()]
    assert set(listed) == before | set(ours) and listed[-3:] == ours

    page = api.get("/v1/messages/?order=desc&limit=2").json()
    assert [m["content"] for m in page] == ["two", "three"]  # the newest, oldest first, as Letta answers
    rest = api.get(f"/v1/messages/?order=desc&limit=2&before={page[0]['id']}").json()
    assert rest[-1]["content"] == "one"
    assert api.get(f"/v1/messages/?order=desc&after={page[-1]['id']}").json() == []
    types = api.get("/v1/messages/?include_return_message_types=user_message&limit=1000").json()
    assert {m["message_type"] for m in types} == {"user_message"}
    assert api.get("/v1/messages/?conversation_id=conv-1").json() == []
    assert api.get("/v1/messages/?after=message-nope").status_code == 404


def test_search_ranks_messages_of_every_agent_and_filters_by_agent(api, make_agent, say):
    first, second = make_agent(name="first"), make_agent(name="second")
    say(first, "I bought a new bicycle")
    say(second, "The bicycle shop fixed the bicycle", role="assistant")
    say(first, "Lunch was good")

    results = search(api, query="bicycle").json()
    assert [(r["message_type"], r["content"]) for r in results] == [
        ("assistant_message", "The bicycle shop fixed the bicycle"),
        ("user_message", "I bought a new bicycle"),
    ]
    assert {r["agent_id"] for r in results} == {first.id, second.id}
    assert all(r["message_id"].startswith("message-") and r["created_at"] for r in results)

    only_first = search(api, query="bicycle", agent_id=first.id, search_mode="fts").json()
    assert [r["content"] for r in only_first] == ["I bought a new bicycle"]
    assert search(api, query="bicycle", end_date="2000-01-01").json() == []
    assert search(api, query="bicycle", start_date=datetime(2000, 1, 1, tzinfo=UTC).isoformat()).json()


def test_search_refuses_what_it_cannot_do_with_a_clear_message(api, make_agent):
    response = search(api, query="x", search_mode="vector")
    assert response.status_code == 400 and "not embedded" in response.json()["detail"]
    response = search(api, query="x", start_date="last tuesday")
    assert response.status_code == 422 and "ISO 8601" in response.json()["detail"]
    response = search(api, query="x", agent_id="agent-nope")
    assert response.status_code == 404 and "agent-nope" in response.json()["detail"]


def test_search_in_a_conversation_finds_nothing_here(api, make_agent, say):
    say(make_agent(), "bicycle")
    assert search(api, query="bicycle", conversation_id="conv-1").json() == []  # this server has no conversations
