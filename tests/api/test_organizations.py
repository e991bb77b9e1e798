"""A key never sees or changes another organization's data: every route answers 404 for foreign ids, and
nothing of the owner's changes."""

import json

import pytest

from accounts.models import Provider
from agents.models import Agent, Run, Step
from agents.provider_services import create_provider
from memory.models import Archive, Block, Passage
from tools.models import Tool
from tools.services import upsert_tool_from_source

pytestmark = pytest.mark.django_db(transaction=True)

SOURCE = 'def ping() -> str:\n    """Answer pong."""\n    return "pong"\n'


@pytest.fixture
def owned(make_agent, org, fake_openai):
    from agents import services
    from memory.archival import insert_passage

    agent = make_agent(tools=["archival_memory_search"])
    tool = upsert_tool_from_source(organization_id=org.id, source_code=SOURCE)
    services.attach_tool(agent, tool)
    passage = insert_passage(archive_id=services.ensure_archive(agent), organization_id=org.id, text="secret")
    run = Run.objects.create(organization_id=org.id, agent=agent, status="completed", background=True)
    step = Step.objects.create(organization_id=org.id, agent=agent, run=run, status="success")
    provider = create_provider(organization_id=org.id, name="mine", provider_type="ollama", api_key="sk-mine")
    return {
        "agent": agent.id,
        "tool": tool.id,
        "passage": passage.id,
        "run": run.id,
        "step": step.id,
        "block": agent.blocks.get(label="human").id,
        "message": agent.message_ids[0],
        "provider": provider.id,
        "archive": agent.archive_id,
    }


ROUTES = [
    ("get", "/v1/agents/{agent}"),
    ("patch", "/v1/agents/{agent}", {"name": "stolen"}),
    ("delete", "/v1/agents/{agent}"),
    ("get", "/v1/agents/{agent}/core-memory/blocks"),
    ("get", "/v1/agents/{agent}/core-memory/blocks/human"),
    ("patch", "/v1/agents/{agent}/core-memory/blocks/human", {"value": "stolen"}),
    ("post", "/v1/agents/{agent}/messages", {"input": "hi"}),
    ("post", "/v1/agents/{agent}/messages/stream", {"input": "hi"}),
    ("get", "/v1/agents/{agent}/messages"),
    ("post", "/v1/agents/{agent}/messages/cancel", {}),
    ("get", "/v1/agents/{agent}/context"),
    ("post", "/v1/agents/{agent}/summarize", {}),
    ("get", "/v1/agents/{agent}/export"),
    ("get", "/v1/agents/{agent}/tools"),
    ("patch", "/v1/agents/{agent}/tools/detach/{tool}", {}),
    ("patch", "/v1/agents/{agent}/tools/approval/ping", {"requires_approval": True}),
    ("get", "/v1/agents/{agent}/archival-memory"),
    ("post", "/v1/agents/{agent}/archival-memory", {"text": "planted"}),
    ("get", "/v1/agents/{agent}/archival-memory/search?query=secret"),
    ("delete", "/v1/agents/{agent}/archival-memory/{passage}"),
    ("get", "/v1/tools/{tool}"),
    ("delete", "/v1/tools/{tool}"),
    ("post", "/v1/agents/{agent}/messages/async", {"input": "hi"}),
    ("get", "/v1/runs/{run}"),
    ("get", "/v1/runs/{run}/messages"),
    ("get", "/v1/runs/{run}/steps"),
    ("get", "/v1/runs/{run}/usage"),
    ("get", "/v1/runs/{run}/metrics"),
    ("post", "/v1/runs/{run}/stream", {}),
    ("get", "/v1/steps/{step}"),
    ("get", "/v1/steps/{step}/messages"),
    ("get", "/v1/steps/{step}/metrics"),
    ("patch", "/v1/steps/{step}/feedback", {"feedback": "negative"}),
    ("get", "/v1/blocks/{block}"),
    ("patch", "/v1/blocks/{block}", {"value": "stolen"}),
    ("delete", "/v1/blocks/{block}"),
    ("get", "/v1/blocks/{block}/agents"),
    ("patch", "/v1/agents/{agent}/core-memory/blocks/detach/{block}", {}),
    ("patch", "/v1/agents/{agent}/core-memory/blocks/attach/{block}", {}),
    ("patch", "/v1/agents/{agent}/reset-messages", {}),
    ("post", "/v1/agents/{agent}/recompile"),
    ("patch", "/v1/agents/{agent}/messages/{message}", {"content": "stolen"}),
    ("patch", "/v1/tools/{tool}", {"description": "stolen"}),
    ("post", "/v1/agents/{agent}/tools/ping/run", {"args": {}}),
    ("get", "/v1/providers/{provider}"),
    ("patch", "/v1/providers/{provider}", {"api_key": "stolen"}),
    ("post", "/v1/providers/{provider}/check", {}),
    ("delete", "/v1/providers/{provider}"),
    ("get", "/v1/messages/{message}"),
    ("get", "/v1/agents/{agent}/messages/{message}"),
    ("post", "/v1/messages/search", {"query": "secret", "agent_id": "{agent}"}),
    ("post", "/v1/passages/search", {"query": "secret", "agent_id": "{agent}"}),
    ("post", "/v1/passages/search", {"query": "secret", "archive_id": "{archive}"}),
    ("get", "/v1/archives/{archive}"),
    ("patch", "/v1/archives/{archive}", {"name": "stolen"}),
    ("delete", "/v1/archives/{archive}"),
    ("get", "/v1/archives/?agent_id={agent}"),
    ("post", "/v1/archives/{archive}/passages", {"text": "planted"}),
    ("post", "/v1/archives/{archive}/passages/batch", {"passages": [{"text": "planted"}]}),
    ("delete", "/v1/archives/{archive}/passages/{passage}"),
    ("patch", "/v1/agents/{agent}/archives/detach/{archive}", {}),
    ("patch", "/v1/agents/{agent}/archives/attach/{archive}", {}),
]


def _json(body: dict, owned: dict) -> str:
    """The request body, its "{agent}"-style values filled with the owner's ids."""
    return json.dumps({key: value.format(**owned) if isinstance(value, str) else value for key, value in body.items()})


@pytest.mark.parametrize("route", ROUTES, ids=[f"{r[0]} {r[1]}" for r in ROUTES])
def test_foreign_ids_are_not_found(other_api, owned, route, fake_openai):
    method, template, *body = route
    path = template.format(**owned)
    kwargs = {"data": _json(body[0], owned), "content_type": "application/json"} if body else {}
    response = getattr(other_api, method)(path, **kwargs)
    assert response.status_code == 404, (path, response.status_code, response.content[:200])
    assert "not found" in response.json()["detail"].lower()
    assert fake_openai.requests == []


def test_lists_show_only_the_keys_own_organization(other_api, owned):
    assert other_api.get("/v1/agents/").json() == []
    assert owned["tool"] not in [t["id"] for t in other_api.get("/v1/tools/").json()]
    assert other_api.get("/v1/runs/").json() == [] and other_api.get("/v1/steps/").json() == []
    assert other_api.get("/v1/blocks/").json() == [] and other_api.get("/v1/blocks/count").json() == 0
    assert other_api.get("/v1/agents/count").json() == 0
    assert other_api.post("/v1/tools/search", {"query": "ping pong"}, content_type="application/json").json() == []
    assert other_api.get("/v1/tools/count").json() == 0
    assert other_api.get("/v1/providers/").json() == []
    assert other_api.get("/v1/tags/").json() == [] and other_api.get("/v1/archives/").json() == []
    assert other_api.get("/v1/messages/").json() == []
    assert other_api.post("/v1/messages/search", {"query": "secret"}, content_type="application/json").json() == []
    assert other_api.post("/v1/passages/search", {"query": "secret"}, content_type="application/json").json() == []


def test_the_owners_data_is_untouched_after_foreign_attempts(other_api, owned, api):
    for route in ROUTES:
        method, template, *body = route
        kwargs = {"data": _json(body[0], owned), "content_type": "application/json"} if body else {}
        getattr(other_api, method)(template.format(**owned), **kwargs)
    agent = api.get(f"/v1/agents/{owned['agent']}").json()
    assert agent["name"] == "helper"
    assert Block.objects.get(agents__id=owned["agent"], label="human").value == "Name: unknown"
    assert Tool.objects.filter(pk=owned["tool"]).exists()
    assert list(Passage.objects.values_list("text", flat=True)) == ["secret"]
    assert Step.objects.get(pk=owned["step"]).feedback is None
    assert Provider.objects.get(pk=owned["provider"]).api_key == "sk-mine"
    assert Agent.objects.get(pk=owned["agent"]).archive_id == owned["archive"]
    assert Archive.objects.get(pk=owned["archive"]).name.endswith("archive")
