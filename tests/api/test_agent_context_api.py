"""Agent routes around the context window (reset, recompile, immutable messages), the count and list filters."""

import json

import pytest
from django.utils import timezone

from agents.models import Agent, Message, Run
from agents.recall import search_messages

pytestmark = pytest.mark.django_db


def patch(api, path, body=None):
    return api.patch(path, json.dumps(body or {}), content_type="application/json")


def add_exchange(agent: Agent, user_text: str, reply: str) -> list[Message]:
    rows = [
        Message.objects.create(
            organization_id=agent.organization_id,
            agent=agent,
            role=role,
            content=[{"type": "text", "text": text}],
            text=text,
        )
        for role, text in (("user", user_text), ("assistant", reply))
    ]
    agent.append_to_context(rows)
    return rows


def test_reset_keeps_only_the_system_message_and_recall_still_finds_the_rest(api, make_agent):
    agent = make_agent()
    add_exchange(agent, "My favourite colour is teal.", "Noted: teal.")
    system_id = agent.message_ids[0]

    response = patch(api, f"/v1/agents/{agent.id}/reset-messages", {"add_default_initial_messages": False})
    assert response.status_code == 200, response.json()
    assert response.json()["message_ids"] == [system_id]
    assert Message.objects.filter(agent=agent).count() == 3  # nothing deleted
    assert [hit["content"] for hit in search_messages(agent.id, "teal")] == [
        "Noted: teal.",
        "My favourite colour is teal.",
    ]
    system = Message.objects.get(id=system_id).text
    assert "2 previous messages between you and the user are stored in recall memory" in system
    # History still lists every stored message.
    listed = api.get(f"/v1/agents/{agent.id}/messages?order=asc").json()
    assert [m["message_type"] for m in listed] == ["system_message", "user_message", "assistant_message"]


def test_reset_is_refused_while_a_run_is_active(api, make_agent):
    agent = make_agent()
    add_exchange(agent, "hello", "hi")
    run = Run.objects.create(
        organization_id=agent.organization_id, agent=agent, status=Run.Status.RUNNING, heartbeat_at=timezone.now()
    )
    response = patch(api, f"/v1/agents/{agent.id}/reset-messages")
    assert response.status_code == 409
    assert run.id in response.json()["detail"] and response.json()["run_id"] == run.id
    agent.refresh_from_db()
    assert len(agent.message_ids) == 3


def test_recompile_returns_the_prompt_and_dry_run_stores_nothing(api, make_agent):
    agent = make_agent()
    human = agent.blocks.get(label="human")
    # A stale prompt: the block changed behind the stored system message's back.
    type(human).objects.filter(pk=human.pk).update(value="Name: Grace", version=human.version + 1)
    stored = Message.objects.get(id=agent.message_ids[0]).text
    assert "Name: Grace" not in stored

    dry = api.post(f"/v1/agents/{agent.id}/recompile?dry_run=true")
    assert dry.status_code == 200 and "Name: Grace" in dry.json()
    assert Message.objects.get(id=agent.message_ids[0]).text == stored

    response = api.post(f"/v1/agents/{agent.id}/recompile")
    assert response.status_code == 200 and "Name: Grace" in response.json()
    assert Message.objects.get(id=agent.message_ids[0]).text == response.json()

    # Nothing changed since: without update_timestamp the stored prompt comes back as it is.
    assert api.post(f"/v1/agents/{agent.id}/recompile").json() == response.json()
    assert api.post(f"/v1/agents/{agent.id}/recompile?update_timestamp=true").status_code == 200


def test_messages_are_immutable(api, make_agent):
    agent = make_agent()
    message_id = agent.message_ids[0]
    response = patch(api, f"/v1/agents/{agent.id}/messages/{message_id}", {"content": "rewritten"})
    assert response.status_code == 405 and "immutable" in response.json()["detail"]
    assert "rewritten" not in Message.objects.get(id=message_id).text
    assert patch(api, f"/v1/agents/agent-nope/messages/{message_id}").status_code == 404


def test_count_uses_the_list_filters(api, make_agent):
    make_agent(name="red one", tags=["red"])
    make_agent(name="red two", tags=["red", "big"])
    make_agent(name="blue")
    assert api.get("/v1/agents/count").json() == 3
    assert api.get("/v1/agents/count?tags=red").json() == 2
    assert api.get("/v1/agents/count?tags=red&tags=big&match_all_tags=true").json() == 1
    assert api.get("/v1/agents/count?query_text=RED").json() == 2
    assert api.get("/v1/agents/count?template_id=template-x").json() == 0


def test_list_orders_by_last_run_and_filters_by_stop_reason_and_creator(api, make_agent, org):
    from accounts import services as accounts

    never, early, late = make_agent(name="never"), make_agent(name="early"), make_agent(name="late")
    now = timezone.now()
    Agent.objects.filter(pk=early.pk).update(
        last_run_completion=now - timezone.timedelta(hours=1), last_stop_reason="end_turn"
    )
    Agent.objects.filter(pk=late.pk).update(last_run_completion=now, last_stop_reason="max_steps")

    def names(query):
        response = api.get(f"/v1/agents/{query}")
        assert response.status_code == 200, response.json()
        return [a["name"] for a in response.json()]

    assert names("?order_by=last_run_completion") == ["late", "early", "never"]
    assert names("?sort_by=last_run_completion&ascending=true") == ["never", "early", "late"]
    page = names("?order_by=last_run_completion&limit=1")
    rest_after = api.get(f"/v1/agents/?order_by=last_run_completion&after={late.id}").json()
    assert page == ["late"] and [a["name"] for a in rest_after] == ["early", "never"]
    assert names("?order_by=updated_at&order=asc") == ["never", "early", "late"]
    assert names("?last_stop_reason=max_steps") == ["late"]
    assert names("?query_text=EAR") == ["early"]
    assert api.get("/v1/agents/?order_by=name").status_code == 422

    # created_by_id names the API key that created the agent.
    key, secret = accounts.create_api_key(organization_id=org.id, name="creator")
    response = api.post(
        "/v1/agents/",
        {"name": "made by key", "model": "openai/gpt-4.1-mini"},
        content_type="application/json",
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert response.json()["created_by_id"] == key.id
    assert names(f"?created_by_id={key.id}") == ["made by key"]
    assert never.id not in [a["id"] for a in api.get(f"/v1/agents/?created_by_id={key.id}").json()]


def test_include_pending_approval(api, make_agent):
    waiting = make_agent(name="waiting")
    make_agent(name="idle")
    call = {"id": "call-1", "type": "function", "function": {"name": "delete_files", "arguments": "{}"}}
    request = Message.objects.create(
        organization_id=waiting.organization_id, agent=waiting, role="approval", tool_calls=[call]
    )
    waiting.append_to_context([request])

    states = {a["name"]: a for a in api.get("/v1/agents/?include=agent.pending_approval").json()}
    pending = states["waiting"]["pending_approval"]
    assert pending["message_type"] == "approval_request_message" and pending["id"] == request.id
    assert pending["tool_call"]["name"] == "delete_files"
    assert states["idle"]["pending_approval"] is None
    assert "pending_approval" not in api.get(f"/v1/agents/{waiting.id}").json()
    one = api.get(f"/v1/agents/{waiting.id}?include=agent.pending_approval").json()
    assert one["pending_approval"]["id"] == request.id
