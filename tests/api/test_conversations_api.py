"""Conversation routes through Django's test client: what the SDK tests do not reach (another organization's
ids, a delete during a run, bad input), each leaving what is stored as it was."""

import pytest

from agents import conversations
from agents.models import Conversation, Message, Run


@pytest.fixture
def agent(make_agent):
    return make_agent()


@pytest.fixture
def conversation(agent):
    return conversations.create_conversation(agent, summary="mine")


def test_another_organizations_conversation_is_not_found_anywhere(other_api, conversation, agent):
    base = f"/v1/conversations/{conversation.id}"
    for method, path in [
        ("get", base),
        ("patch", base),
        ("delete", base),
        ("get", base + "/messages"),
        ("post", base + "/messages"),
        ("post", base + "/cancel"),
        ("post", base + "/fork"),
        ("post", base + "/recompile"),
        ("post", base + "/compact"),
        ("post", base + "/stream"),
    ]:
        response = getattr(other_api, method)(path, data={"input": "hi"}, content_type="application/json")
        assert response.status_code == 404, (method, path, response.content)
    assert other_api.get(f"/v1/conversations/?agent_id={agent.id}").status_code == 404
    assert other_api.get("/v1/conversations/").json() == []
    conversation.refresh_from_db()
    assert conversation.summary == "mine"


def test_a_conversation_with_a_run_in_progress_is_not_deleted(api, conversation, agent):
    Run.objects.create(organization_id=agent.organization_id, agent=agent, conversation=conversation, status="running")
    response = api.delete(f"/v1/conversations/{conversation.id}")
    assert response.status_code == 409 and "already processing" in response.json()["detail"]
    assert Conversation.objects.filter(pk=conversation.id).exists()


def test_deleting_a_conversation_keeps_the_agent_and_its_default_thread(api, conversation, agent):
    assert api.delete(f"/v1/conversations/{conversation.id}").status_code == 204
    assert not Message.objects.filter(conversation_id=conversation.id).exists()
    agent.refresh_from_db()
    assert Message.objects.filter(id=agent.message_ids[0]).exists()


def test_bad_input_is_refused_with_a_reason_and_nothing_stored(api, agent, conversation):
    before = Conversation.objects.count()
    response = api.post(
        f"/v1/conversations/?agent_id={agent.id}", data={"context_window_limit": 10}, content_type="application/json"
    )
    assert response.status_code == 400 and "context_window_limit" in response.json()["detail"]
    response = api.post("/v1/conversations/", data={}, content_type="application/json")
    assert response.status_code == 404
    response = api.patch(
        f"/v1/conversations/{conversation.id}", data={"summary": "x" * 10_001}, content_type="application/json"
    )
    assert response.status_code == 400 and "10000" in response.json()["detail"]
    # Past what the column holds (PostgreSQL's integer): refused, not a database error.
    response = api.patch(
        f"/v1/conversations/{conversation.id}",
        data={"context_window_limit": 401_229_153_053},
        content_type="application/json",
    )
    assert response.status_code in (400, 422) and "context_window_limit" in response.json()["detail"]
    conversation.refresh_from_db()
    assert conversation.context_window_limit is None
    response = api.post(
        f"/v1/conversations/{conversation.id}/fork?message_id=message-nope", content_type="application/json"
    )
    assert response.status_code == 400 and "message-nope" in response.json()["detail"]
    response = api.get("/v1/conversations/?order_by=size")
    assert response.status_code == 422
    assert Conversation.objects.count() == before
    conversation.refresh_from_db()
    assert conversation.summary == "mine"


def test_the_default_thread_has_no_record_to_change(api, agent):
    response = api.patch(f"/v1/conversations/default?agent_id={agent.id}", data={}, content_type="application/json")
    assert response.status_code == 404 and "default thread" in response.json()["detail"]


def test_a_body_that_is_not_an_object_is_refused(api, agent):
    response = api.post(f"/v1/conversations/?agent_id={agent.id}", data=[1, 2], content_type="application/json")
    assert response.status_code in (400, 422) and response.json()["detail"]
    assert not Conversation.objects.exists()
