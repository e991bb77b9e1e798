"""`/v1/blocks` and attaching blocks to agents, through Django's test client."""

import json

import pytest

from agents.models import Agent, Message
from memory.models import Block, BlockRevision

pytestmark = pytest.mark.django_db


def post(api, path, body):
    return api.post(path, json.dumps(body), content_type="application/json")


def patch(api, path, body=None):
    return api.patch(path, json.dumps(body or {}), content_type="application/json")


def create_block(api, **body):
    response = post(api, "/v1/blocks/", {"label": "notes", "value": "shared facts", **body})
    assert response.status_code == 200, response.json()
    return response.json()


def system_text(agent: Agent) -> str:
    agent.refresh_from_db()
    return Message.objects.get(id=agent.message_ids[0]).text


def test_create_retrieve_modify_and_delete_a_block(api):
    block = create_block(api, description="Facts for the team", limit=500, tags=["team"], metadata={"k": 1})
    assert block["id"].startswith("block-") and block["label"] == "notes" and block["limit"] == 500
    assert block["tags"] == ["team"] and block["metadata"] == {"k": 1} and block["is_template"] is False

    assert api.get(f"/v1/blocks/{block['id']}").json() == block

    response = patch(api, f"/v1/blocks/{block['id']}", {"value": "new facts", "description": "Updated"})
    assert response.status_code == 200
    assert response.json()["value"] == "new facts" and response.json()["description"] == "Updated"
    # Every write through the API leaves a revision, as on every other path.
    assert list(BlockRevision.objects.filter(block_id=block["id"]).values_list("actor_type", flat=True)) == [
        "api",
        "api",
    ]

    assert api.delete(f"/v1/blocks/{block['id']}").status_code == 200
    assert api.get(f"/v1/blocks/{block['id']}").status_code == 404


def test_block_errors_leave_the_block_as_it_was(api):
    response = post(api, "/v1/blocks/", {"label": "notes", "value": "x" * 11, "limit": 10})
    assert response.status_code == 400 and "limit" in response.json()["detail"]
    assert post(api, "/v1/blocks/", {"value": "no label"}).status_code == 422
    assert not Block.objects.exists()

    block = create_block(api, limit=20)
    response = patch(api, f"/v1/blocks/{block['id']}", {"value": "y" * 21})
    assert response.status_code == 400 and "over its limit of 20" in response.json()["detail"]
    response = patch(api, f"/v1/blocks/{block['id']}", {"limit": 3})
    assert response.status_code == 400 and "Shorten the value first" in response.json()["detail"]
    assert Block.objects.get(pk=block["id"]).value == "shared facts"

    for method in ("get", "delete"):
        response = getattr(api, method)("/v1/blocks/block-nope")
        assert response.status_code == 404 and "block-nope" in response.json()["detail"]
    assert patch(api, "/v1/blocks/block-nope", {"value": "x"}).status_code == 404


def test_list_filters(api, make_agent):
    agent = make_agent()
    create_block(api, label="alpha", value="likes green tea", tags=["a", "b"], description="drinks")
    create_block(api, label="beta", value="likes coffee", tags=["b"])
    create_block(api, label="gamma", value="template text", is_template=True)
    create_block(api, label="secret", value="hidden text", hidden=True)

    def labels(query=""):
        response = api.get(f"/v1/blocks/{query}")
        assert response.status_code == 200, response.json()
        return [b["label"] for b in response.json()]

    # Oldest first by default (as Letta), the agent's own blocks included: blocks are an organization's.
    assert labels() == ["human", "persona", "alpha", "beta", "gamma"]
    assert labels("?label=beta") == ["beta"]
    assert labels("?label_search=AL") == ["alpha"]
    assert labels("?value_search=likes") == ["alpha", "beta"]
    assert labels("?description_search=drink") == ["alpha"]
    assert labels("?templates_only=true") == ["gamma"]
    assert labels("?tags=b") == ["alpha", "beta"]
    assert labels("?tags=a&tags=b&match_all_tags=true") == ["alpha"]
    assert labels("?connected_to_agents_count_gt=0") == ["human", "persona"]
    assert labels("?connected_to_agents_count_eq=0&connected_to_agents_count_eq=5") == ["alpha", "beta", "gamma"]
    assert labels("?show_hidden_blocks=true&label=secret") == ["secret"]
    assert labels("?name=anything") == []  # a template name: none exist on this server
    assert api.get("/v1/blocks/count?value_search=likes").json() == 2
    assert agent.blocks.count() == 2


def test_list_pages_with_cursors_in_both_orders(api):
    ids = [create_block(api, label=f"b{i}")["id"] for i in range(5)]
    first = api.get("/v1/blocks/?limit=2").json()
    assert [b["id"] for b in first] == ids[:2]
    rest = api.get(f"/v1/blocks/?limit=10&after={first[-1]['id']}").json()
    assert [b["id"] for b in rest] == ids[2:]
    assert api.get(f"/v1/blocks/?after={ids[-1]}").json() == []
    newest = api.get(f"/v1/blocks/?order=desc&limit=2&after={ids[3]}").json()
    assert [b["id"] for b in newest] == [ids[2], ids[1]]
    assert [b["id"] for b in api.get(f"/v1/blocks/?before={ids[2]}").json()] == ids[:2]
    assert api.get("/v1/blocks/?after=block-unknown").status_code == 404


def test_attach_shares_a_block_and_recompiles_both_prompts(api, make_agent):
    first, second = make_agent(name="first"), make_agent(name="second")
    block = create_block(api, value="The launch is on Friday.")
    for agent in (first, second):
        response = patch(api, f"/v1/agents/{agent.id}/core-memory/blocks/attach/{block['id']}")
        assert response.status_code == 200, response.json()
        assert "notes" in [b["label"] for b in response.json()["blocks"]]
        assert "The launch is on Friday." in system_text(agent)

    agents = api.get(f"/v1/blocks/{block['id']}/agents").json()
    assert {a["id"] for a in agents} == {first.id, second.id}
    assert api.get(f"/v1/blocks/{block['id']}/agents?order=asc&limit=1").json()[0]["id"] == first.id

    patch(api, f"/v1/blocks/{block['id']}", {"value": "The launch moved to Monday."})
    for agent in (first, second):
        assert "The launch moved to Monday." in system_text(agent)
        assert "Friday" not in system_text(agent)

    # Attaching again changes nothing.
    assert patch(api, f"/v1/agents/{first.id}/core-memory/blocks/attach/{block['id']}").status_code == 200
    assert first.blocks.filter(pk=block["id"]).count() == 1

    response = patch(api, f"/v1/agents/{first.id}/core-memory/blocks/detach/{block['id']}")
    assert response.status_code == 200
    assert "notes" not in [b["label"] for b in response.json()["blocks"]]
    assert "Monday" not in system_text(first) and "Monday" in system_text(second)
    assert Block.objects.filter(pk=block["id"]).exists()  # detaching never deletes


def test_attach_and_detach_errors(api, make_agent):
    agent = make_agent()
    other_human = create_block(api, label="human", value="someone else")
    response = patch(api, f"/v1/agents/{agent.id}/core-memory/blocks/attach/{other_human['id']}")
    assert response.status_code == 409 and "already has a memory block labelled 'human'" in response.json()["detail"]
    assert agent.blocks.get(label="human").value == "Name: unknown"

    response = patch(api, f"/v1/agents/{agent.id}/core-memory/blocks/detach/{other_human['id']}")
    assert response.status_code == 404 and "is not attached" in response.json()["detail"]

    for action in ("attach", "detach"):
        response = patch(api, f"/v1/agents/{agent.id}/core-memory/blocks/{action}/block-nope")
        assert response.status_code == 404 and "block-nope" in response.json()["detail"]
        response = patch(api, f"/v1/agents/agent-nope/core-memory/blocks/{action}/{other_human['id']}")
        assert response.status_code == 404


def test_relabel_that_clashes_in_a_sharing_agent_is_refused(api, make_agent):
    agent = make_agent()
    block = create_block(api)
    patch(api, f"/v1/agents/{agent.id}/core-memory/blocks/attach/{block['id']}")
    response = patch(api, f"/v1/blocks/{block['id']}", {"label": "human"})
    assert response.status_code == 409 and agent.id in response.json()["detail"]
    assert Block.objects.get(pk=block["id"]).label == "notes"


def test_deleting_a_block_detaches_it_and_recompiles_the_agents(api, make_agent):
    agent = make_agent()
    block = create_block(api, value="Temporary fact.")
    patch(api, f"/v1/agents/{agent.id}/core-memory/blocks/attach/{block['id']}")
    assert "Temporary fact." in system_text(agent)

    assert api.delete(f"/v1/blocks/{block['id']}").status_code == 200
    assert "Temporary fact." not in system_text(agent)
    assert [b["label"] for b in api.get(f"/v1/agents/{agent.id}").json()["blocks"]] == ["human", "persona"]


def test_read_only_blocks_stay_editable_through_the_api(api):
    block = create_block(api, read_only=True)
    response = patch(api, f"/v1/blocks/{block['id']}", {"value": "changed by a person"})
    assert response.status_code == 200 and response.json()["read_only"] is True


def test_another_organizations_block_cannot_be_attached(api, other_api, other_org, make_agent):
    from agents import services

    mine = make_agent()
    theirs = services.create_agent(organization_id=other_org.id, name="theirs", model="openai/gpt-4.1-mini")
    block = create_block(api, value="private")
    response = patch(other_api, f"/v1/agents/{theirs.id}/core-memory/blocks/attach/{block['id']}")
    assert response.status_code == 404 and block["id"] in response.json()["detail"]
    assert not theirs.blocks.exists()
    response = patch(api, f"/v1/agents/{mine.id}/core-memory/blocks/attach/{theirs.id}")
    assert response.status_code == 404


def test_relabelling_an_agents_block_to_a_label_it_has_is_a_conflict(api, make_agent):
    agent = make_agent()
    response = patch(api, f"/v1/agents/{agent.id}/core-memory/blocks/human", {"label": "persona"})
    assert response.status_code == 409 and "labelled 'persona'" in response.json()["detail"]
    assert sorted(agent.blocks.values_list("label", flat=True)) == ["human", "persona"]
