"""The agents API through Django's test client: shapes, validation errors, 404s, organization scoping."""

import pytest

from agents.models import Agent
from memory.models import Block

pytestmark = pytest.mark.django_db

HUMAN_PERSONA = [
    {"label": "human", "value": "Name: unknown", "limit": 100},
    {"label": "persona", "value": "I am a helpful assistant."},
]


def create(api, **body):
    body = {"name": "helper", "model": "openai/gpt-4.1-mini", "memory_blocks": HUMAN_PERSONA, **body}
    return api.post("/v1/agents/", body, content_type="application/json")


def test_create_returns_agent_state_with_blocks_tools_and_llm_config(api, providers):
    response = create(api, tags=["a"], context_window_limit=8000)
    assert response.status_code == 200, response.json()
    agent = response.json()
    assert agent["id"].startswith("agent-") and agent["name"] == "helper"
    assert agent["model"] == "openai/gpt-4.1-mini" and agent["agent_type"] == "letta_v1_agent"
    assert agent["llm_config"]["model"] == "gpt-4.1-mini"
    assert agent["llm_config"]["model_endpoint_type"] == "openai"
    assert agent["llm_config"]["context_window"] == 8000
    assert agent["embedding_config"] is None
    assert {b["label"]: b["limit"] for b in agent["blocks"]} == {"human": 100, "persona": 100_000}
    assert "memory_insert" in {t["name"] for t in agent["tools"]}
    assert agent["tags"] == ["a"] and len(agent["message_ids"]) == 1
    assert agent["memory"]["blocks"] == agent["blocks"] and agent["sources"] == []


def test_create_validation_errors(api, providers):
    response = api.post("/v1/agents/", {"memory_blocks": [{"value": "x"}]}, content_type="application/json")
    assert response.status_code == 422
    assert "memory_blocks.0.label: This field is required" in response.json()["detail"]

    response = create(api, model="gpt-4.1-mini")
    assert response.status_code == 400
    assert "openai/gpt-4.1-mini" in response.json()["detail"]

    response = create(api, memory_blocks=[{"label": "human", "value": "x" * 11, "limit": 10}])
    assert response.status_code == 400 and "limit" in response.json()["detail"]

    response = create(api, tools=["no_such_tool"])
    assert response.status_code == 400 and "no_such_tool" in response.json()["detail"]
    assert not Agent.objects.exists()  # nothing half-created


def test_unauthenticated_and_bad_key_are_401(anonymous, db):
    for headers in ({}, {"Authorization": "Bearer nope"}):
        response = anonymous.get("/v1/agents/", headers=headers)
        assert response.status_code == 401
        assert response.json()["detail"]
    response = anonymous.post("/v1/agents/x/messages", {"input": "hi"}, content_type="application/json")
    assert response.status_code == 401 and "Bearer" in response.json()["detail"]
    assert anonymous.get("/v1/health/").status_code == 200


def test_list_pages_with_cursors_in_both_orders(api, make_agent):
    ids = [make_agent(name=f"a{i}").id for i in range(5)]
    desc = [a["id"] for a in api.get("/v1/agents/").json()]
    assert desc == ids[::-1]
    first = api.get("/v1/agents/", {"limit": 2, "order": "asc"}).json()
    second = api.get("/v1/agents/", {"limit": 2, "order": "asc", "after": first[-1]["id"]}).json()
    assert [a["id"] for a in first + second] == ids[:4]
    older = api.get("/v1/agents/", {"limit": 2, "after": ids[3]}).json()
    assert [a["id"] for a in older] == [ids[2], ids[1]]
    before = api.get("/v1/agents/", {"limit": 2, "order": "asc", "before": ids[4]}).json()
    assert [a["id"] for a in before] == [ids[2], ids[3]]
    assert [a["name"] for a in api.get("/v1/agents/", {"name": "a3"}).json()] == ["a3"]


def test_list_filters_by_tags(api, make_agent):
    make_agent(name="x", tags=["red", "big"])
    make_agent(name="y", tags=["red"])
    make_agent(name="z")
    names = lambda params: sorted(a["name"] for a in api.get("/v1/agents/", params).json())  # noqa: E731
    assert names({"tags": ["red"]}) == ["x", "y"]
    assert names({"tags": ["red", "big"], "match_all_tags": "true"}) == ["x"]


def test_patch_and_delete_agent(api, make_agent):
    agent = make_agent()
    response = api.patch(
        f"/v1/agents/{agent.id}",
        {"name": "renamed", "tags": ["t"], "system": "Be brief."},
        content_type="application/json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["name"] == "renamed" and response.json()["system"] == "Be brief."
    response = api.patch(
        f"/v1/agents/{agent.id}", {"tool_rules": [{"type": "nonsense"}]}, content_type="application/json"
    )
    assert response.status_code == 400 and "nonsense" in response.json()["detail"]
    assert api.delete(f"/v1/agents/{agent.id}").status_code == 200
    assert api.get(f"/v1/agents/{agent.id}").status_code == 404


def test_core_memory_block_by_label(api, make_agent):
    agent = make_agent()
    blocks = api.get(f"/v1/agents/{agent.id}/core-memory/blocks", {"order": "asc"}).json()
    assert [b["label"] for b in blocks] == ["human", "persona"]
    url = f"/v1/agents/{agent.id}/core-memory/blocks/human"
    assert api.get(url).json()["value"] == "Name: unknown"
    response = api.patch(url, {"value": "Name: Ada"}, content_type="application/json")
    assert response.status_code == 200 and response.json()["value"] == "Name: Ada"
    assert Block.objects.get(agents=agent, label="human").revisions.last().actor_type == "api"

    response = api.patch(url, {"value": "x" * 2001}, content_type="application/json")
    assert response.status_code == 400 and "2,000" in response.json()["detail"]
    response = api.patch(url, {"label": "persona"}, content_type="application/json")
    assert response.status_code == 409 and "persona" in response.json()["detail"]
    response = api.get(f"/v1/agents/{agent.id}/core-memory/blocks/nope")
    assert response.status_code == 404 and "nope" in response.json()["detail"]


def test_foreign_and_unknown_ids_are_404(api, other_api, make_agent):
    agent = make_agent()
    for path in ("", "/core-memory/blocks", "/core-memory/blocks/human", "/messages", "/context"):
        response = other_api.get(f"/v1/agents/{agent.id}{path}")
        assert response.status_code == 404, path
        assert response.json() == {"detail": f"Agent {agent.id} not found."}
    assert other_api.patch(f"/v1/agents/{agent.id}", {"name": "x"}, content_type="application/json").status_code == 404
    assert other_api.delete(f"/v1/agents/{agent.id}").status_code == 404
    response = other_api.post(f"/v1/agents/{agent.id}/messages", {"input": "hi"}, content_type="application/json")
    assert response.status_code == 404 and agent.id in response.json()["detail"]
    assert other_api.post(f"/v1/agents/{agent.id}/messages/cancel").status_code == 404
    assert other_api.get("/v1/agents/").json() == []
    assert api.get("/v1/agents/agent-unknown").status_code == 404
    assert api.get("/v1/runs/run-unknown").status_code == 404
    assert Agent.objects.filter(pk=agent.pk, name="helper").exists()


def test_send_message_validation(api, make_agent):
    agent = make_agent()
    url = f"/v1/agents/{agent.id}/messages"
    for body, words in (
        ({}, "exactly one"),
        ({"input": "hi", "messages": [{"role": "user", "content": "x"}]}, "exactly one"),
        ({"input": "hi", "max_steps": 0}, "max_steps"),
    ):
        response = api.post(url, body, content_type="application/json")
        assert response.status_code == 422 and words in response.json()["detail"], response.json()
    response = api.post(url, "not json", content_type="application/json")
    assert response.status_code == 422
    response = api.post(url, {"messages": [{"role": "bot", "content": "x"}]}, content_type="application/json")
    assert response.status_code == 400 and "bot" in response.json()["detail"]


def test_cancel_without_active_run_is_409(api, make_agent):
    agent = make_agent()
    response = api.post(f"/v1/agents/{agent.id}/messages/cancel", {}, content_type="application/json")
    assert response.status_code == 409 and "no active run" in response.json()["detail"]


def test_unknown_and_unimplemented_routes_answer_json(api, db):
    response = api.get("/v1/no-such-thing")
    assert response.status_code == 404 and "not a route" in response.json()["detail"]
    for path in (
        "/v1/folders",
        "/v1/identities/x",
        "/v1/groups/group-x/messages",
        "/v1/sources/",
        "/v1/templates",
        "/v1/agents/agent-x/passages",
        "/v1/blocks/block-x/identities",
    ):
        response = api.get(path)
        assert response.status_code == 501, path
        assert "is not implemented by this server yet" in response.json()["detail"]


def test_summarize_refuses_when_there_is_nothing_to_summarize(api, other_api, make_agent):
    agent = make_agent()
    response = api.post(f"/v1/agents/{agent.id}/summarize", {}, content_type="application/json")
    assert response.status_code == 400 and "Nothing to summarize" in response.json()["detail"]
    assert other_api.post(f"/v1/agents/{agent.id}/summarize").status_code == 404


def test_send_message_to_a_busy_agent_is_409_naming_the_run(api, make_agent):
    from agents.models import Run

    agent = make_agent()
    run = Run.objects.create(organization_id=agent.organization_id, agent=agent, status=Run.Status.RUNNING)
    response = api.post(f"/v1/agents/{agent.id}/messages", {"input": "hi"}, content_type="application/json")
    assert response.status_code == 409
    assert run.id in response.json()["detail"] and response.json()["run_id"] == run.id
    cancel = api.post(f"/v1/agents/{agent.id}/messages/cancel", {"run_ids": [run.id]}, content_type="application/json")
    assert cancel.json() == {run.id: "cancelled"}
    assert Run.objects.get(pk=run.pk).cancel_requested
