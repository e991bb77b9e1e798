"""The block cap (LETTA_MAX_BLOCK_CHARS) as the API answers it: blocks, agents' memory_blocks and agent files are
refused with a 400 naming the setting and nothing stored; an agent file's block over its own limit but within the
cap imports exactly as before. The rule itself is memory/services.py's (tests/memory/test_block_cap.py)."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from agents.models import Agent
from memory.models import Block
from tests.agents.agent_file.conftest import agent_file
from tools.models import Tool

pytestmark = pytest.mark.django_db

CAP = 1_000
CAP_MESSAGE = "any block may hold (LETTA_MAX_BLOCK_CHARS)"


@pytest.fixture(autouse=True)
def small_cap(settings):
    settings.MAX_BLOCK_CHARS = CAP


def post(api, path, body):
    return api.post(path, json.dumps(body), content_type="application/json")


def test_a_block_over_the_cap_is_refused_and_not_stored(api):
    response = post(api, "/v1/blocks/", {"label": "notes", "value": "x" * (CAP + 1), "limit": CAP})
    assert response.status_code == 400 and CAP_MESSAGE in response.json()["detail"]
    assert not Block.objects.filter(label="notes").exists()


def test_a_limit_over_the_cap_is_refused_on_create_and_modify(api):
    response = post(api, "/v1/blocks/", {"label": "notes", "value": "", "limit": 10**9})
    assert response.status_code == 400
    assert response.json()["detail"] == (
        "A memory block's limit can be at most 1,000 characters (LETTA_MAX_BLOCK_CHARS), not 1,000,000,000."
    )
    block = post(api, "/v1/blocks/", {"label": "notes", "value": "short", "limit": 100}).json()

    response = api.patch(f"/v1/blocks/{block['id']}", {"limit": 10**9}, content_type="application/json")
    assert response.status_code == 400 and "LETTA_MAX_BLOCK_CHARS" in response.json()["detail"]
    response = api.patch(f"/v1/blocks/{block['id']}", {"value": "y" * (CAP + 1)}, content_type="application/json")
    assert response.status_code == 400 and "LETTA_MAX_BLOCK_CHARS" in response.json()["detail"]
    stored = Block.objects.get(pk=block["id"])
    assert (stored.value, stored.limit, stored.version) == ("short", 100, 1)


def test_an_agent_with_a_memory_block_over_the_cap_is_not_created(api, providers):
    body = {
        "name": "helper",
        "model": "openai/gpt-4.1-mini",
        "memory_blocks": [{"label": "human", "value": "x" * (CAP + 1), "limit": CAP}],
    }
    response = post(api, "/v1/agents/", body)
    assert response.status_code == 400 and CAP_MESSAGE in response.json()["detail"]
    assert not Agent.objects.exists() and not Block.objects.exists()


def upload(doc: dict) -> dict:
    return {"file": SimpleUploadedFile("agent.af", json.dumps(doc).encode(), content_type="application/octet-stream")}


def test_an_agent_file_with_a_block_over_the_cap_imports_nothing(api):
    blocks = [
        {"id": "block-0", "label": "human", "value": "Name: Ada", "limit": 200},
        {"id": "block-1", "label": "persona", "value": "x" * (CAP + 1), "limit": 200},
    ]
    doc = agent_file(blocks=blocks)
    doc["agents"][0]["block_ids"] = ["block-0", "block-1"]

    response = api.post("/v1/agents/import", upload(doc))

    assert response.status_code == 400 and CAP_MESSAGE in response.json()["detail"]
    assert not Agent.objects.exists() and not Block.objects.exists() and not Tool.objects.filter(name="lookup")


def test_an_agent_file_with_a_limit_over_the_cap_imports_nothing(api):
    doc = agent_file(blocks=[{"id": "block-0", "label": "human", "value": "Name: Ada", "limit": 10**12}])
    response = api.post("/v1/agents/import", upload(doc))
    assert response.status_code == 400 and "LETTA_MAX_BLOCK_CHARS" in response.json()["detail"]
    assert not Agent.objects.exists() and not Block.objects.exists()


def test_an_agent_files_block_over_its_limit_within_the_cap_imports_exactly(api):
    value = "Name: Ada. " * 90  # 990 characters: over its limit of 200, within the cap
    doc = agent_file(blocks=[{"id": "block-0", "label": "human", "value": value, "limit": 200}])

    response = api.post("/v1/agents/import", upload(doc))

    assert response.status_code == 200
    assert response.json()["over_limit_blocks"][0]["chars"] == len(value)
    block = Block.objects.get(label="human")
    assert (block.value, block.limit) == (value, 200)
