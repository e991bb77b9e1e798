"""A block's revision history and restore (`/v1/blocks/{id}/history`), and an agent's memory history."""

import json

import httpx
import pytest
from django.contrib.auth.models import User

from accounts import services as accounts
from accounts.models import Organization
from agents.models import Run, Step
from memory import services as memory
from memory.models import Block, BlockRevision
from memory.services import EditActor

pytestmark = pytest.mark.django_db


def post(api, path, body=None):
    return api.post(path, json.dumps(body or {}), content_type="application/json")


@pytest.fixture
def block(api):
    """A block made through the API (revision 1) and edited twice more through it (revisions 2 and 3)."""
    created = post(api, "/v1/blocks/", {"label": "notes", "value": "one\ntwo", "limit": 100}).json()
    for value in ("one\ntwo\nthree", "one\n2\nthree"):
        api.patch(f"/v1/blocks/{created['id']}", json.dumps({"value": value}), content_type="application/json")
    return Block.objects.get(pk=created["id"])


def test_history_lists_revisions_newest_first_with_who_made_them(api, block):
    items = api.get(f"/v1/blocks/{block.id}/history").json()

    assert [item["version"] for item in items] == [3, 2, 1]
    newest = items[0]
    assert (newest["value_before"], newest["value_after"]) == ("one\ntwo\nthree", "one\n2\nthree")
    assert newest["actor_type"] == "api" and newest["actor_name"] == "test"  # the key's name
    assert newest["block_id"] == block.id and newest["label"] == "notes" and newest["run_id"] is None
    assert items[2]["field_changes"]["label"] == {"before": None, "after": "notes"}


def test_history_pages_by_version_in_both_orders(api, block):
    url = f"/v1/blocks/{block.id}/history"
    assert [i["version"] for i in api.get(url, {"limit": 2}).json()] == [3, 2]
    assert [i["version"] for i in api.get(url, {"limit": 2, "after": 2}).json()] == [1]
    assert [i["version"] for i in api.get(url, {"limit": 1, "before": 1}).json()] == [2]
    assert [i["version"] for i in api.get(url, {"order": "asc", "after": 1}).json()] == [2, 3]
    assert api.get(url, {"after": "latest"}).status_code == 422


def test_a_persons_and_an_agents_edits_are_named(api, block, make_agent):
    person = User.objects.create_user(username="grace")
    memory.update_block(block.id, value="by grace", actor=EditActor.user(str(person.pk)))
    agent = make_agent()
    run = Run.objects.create(organization_id=agent.organization_id, agent=agent, status="completed")
    step = Step.objects.create(organization_id=agent.organization_id, run=run, agent=agent)
    actor = EditActor.agent(agent.id, step.id, "call-1", "memory_rethink")
    memory.memory_rethink(block.id, "by the agent", actor=actor)

    by_agent, by_person = api.get(f"/v1/blocks/{block.id}/history", {"limit": 2}).json()

    assert by_person["actor_type"] == "user" and by_person["actor_name"] == "grace"
    assert by_agent["actor_type"] == "agent" and by_agent["run_id"] == run.id and by_agent["step_id"] == step.id
    assert (by_agent["tool_call_id"], by_agent["tool_name"]) == ("call-1", "memory_rethink")


def test_restore_brings_back_a_version_as_a_new_revision(api, block):
    response = post(api, f"/v1/blocks/{block.id}/history/1/restore")

    assert response.status_code == 200
    assert response.json() == api.get(f"/v1/blocks/{block.id}").json()
    assert response.json()["value"] == "one\ntwo"
    newest = api.get(f"/v1/blocks/{block.id}/history", {"limit": 1}).json()[0]
    assert newest["version"] == 4 and newest["field_changes"] == {"restored_from_version": 1}
    assert newest["value_before"] == "one\n2\nthree"  # the replaced value stays in the history


def test_restore_refusals_change_nothing(api, block):
    api.patch(f"/v1/blocks/{block.id}", json.dumps({"value": "x", "limit": 5}), content_type="application/json")
    before = BlockRevision.objects.filter(block=block).count()

    over = post(api, f"/v1/blocks/{block.id}/history/3/restore")
    assert over.status_code == 400 and "over the block's limit of 5" in over.json()["detail"]
    missing = post(api, f"/v1/blocks/{block.id}/history/9/restore")
    assert missing.status_code == 404 and "has no version 9; it has versions 1 to 4" in missing.json()["detail"]
    assert post(api, f"/v1/blocks/{block.id}/history/latest/restore").status_code == 404
    assert BlockRevision.objects.filter(block=block).count() == before


def test_another_organizations_block_is_not_found(other_api, block):
    assert other_api.get(f"/v1/blocks/{block.id}/history").status_code == 404
    assert post(other_api, f"/v1/blocks/{block.id}/history/1/restore").status_code == 404
    assert Block.objects.get(pk=block.id).version == 3


def test_an_agents_memory_history_spans_its_blocks_and_filters_to_one(api, other_api, make_agent):
    agent = make_agent()
    human = agent.blocks.get(label="human")
    memory.update_block(human.id, value="Name: Ada", actor=EditActor.api())
    url = f"/v1/agents/{agent.id}/memory/history"

    items = api.get(url).json()
    assert [(i["label"], i["version"]) for i in items][0] == ("human", 2)
    assert {i["label"] for i in items} == {"human", "persona"}
    assert {i["label"] for i in api.get(url, {"block_id": human.id}).json()} == {"human"}
    older = api.get(url, {"after": items[0]["id"]}).json()
    assert [i["id"] for i in older] == [i["id"] for i in items[1:]]
    assert api.get(url, {"block_id": "block-nope"}).status_code == 404
    assert other_api.get(url).status_code == 404


@pytest.mark.django_db(transaction=True)
def test_history_and_restore_over_http(letta_server):
    _, key = accounts.create_api_key(organization_id=Organization.default().id, name="laptop")
    http = httpx.Client(base_url=letta_server.url, headers={"Authorization": f"Bearer {key}"})
    block = http.post("/v1/blocks/", json={"label": "notes", "value": "first"}).json()
    http.patch(f"/v1/blocks/{block['id']}", json={"value": "second"})

    restored = http.post(f"/v1/blocks/{block['id']}/history/1/restore")
    history = http.get(f"/v1/blocks/{block['id']}/history").json()

    assert restored.status_code == 200 and restored.json()["value"] == "first"
    assert [(i["version"], i["value_after"], i["actor_name"]) for i in history] == [
        (3, "first", "laptop"),
        (2, "second", "laptop"),
        (1, "first", "laptop"),
    ]
