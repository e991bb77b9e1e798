"""Agent files written by Letta import whole: every block character, every message, every tool and rule."""

import pytest

from accounts.models import Organization
from agents.agent_file import export_agent, import_agent
from agents.models import Agent
from tests.agents.agent_file.conftest import FIXTURES, context_of, load

pytestmark = pytest.mark.django_db

by_name = pytest.mark.parametrize("path", FIXTURES, ids=[p.stem for p in FIXTURES])


def test_the_five_letta_fixtures_are_there():
    assert len(FIXTURES) == 5


@by_name
def test_a_letta_file_imports_whole(org, path):
    doc = load(path)
    blocks = {b["id"]: b for b in doc["blocks"]}
    tools = {t["id"]: t for t in doc["tools"]}

    result = import_agent(path.read_bytes(), organization_id=org.id)

    assert len(result.agent_ids) == len(doc["agents"])
    over = [b for b in doc["blocks"] if len(b["value"]) > b["limit"]]
    assert sorted(o["label"] for o in result.over_limit_blocks) == sorted(b["label"] for b in over)
    for entry, agent_id in zip(doc["agents"], result.agent_ids, strict=True):
        agent = Agent.objects.get(pk=agent_id)
        assert agent.name == f"{entry['name']}_copy"
        assert agent.system == entry["system"]
        assert agent.tool_rules == entry["tool_rules"]
        assert agent.model == entry["llm_config"]["handle"]
        assert agent.context_window_limit == entry["llm_config"]["context_window"]

        stored = {b.label: b for b in agent.blocks.all()}
        assert sorted(stored) == sorted(blocks[i]["label"] for i in entry["block_ids"])
        for block_id in entry["block_ids"]:
            block = stored[blocks[block_id]["label"]]
            assert block.value == blocks[block_id]["value"]  # character for character
            assert block.limit == blocks[block_id]["limit"]
            assert block.read_only == blocks[block_id]["read_only"]

        messages = {m["id"]: m for m in entry["messages"]}
        expected = [messages[i] for i in entry["in_context_message_ids"]]
        context = context_of(agent)
        assert [(m.role, m.content) for m in context] == [(m["role"], m["content"]) for m in expected]
        assert [m.created_at.isoformat() for m in context] == [m["created_at"] for m in expected]
        assert agent.message_count == len(entry["messages"])

        attached = {t.name: t for t in agent.tools.all()}
        assert sorted(attached) == sorted(tools[i]["name"] for i in entry["tool_ids"])
        for tool_id in entry["tool_ids"]:
            tool = tools[tool_id]
            row = attached[tool["name"]]
            assert row.json_schema["name"] == tool["name"] and "parameters" in row.json_schema
            if tool["tool_type"] == "custom":
                assert row.source_code == tool["source_code"]
                assert row.json_schema == tool["json_schema"]


@by_name
def test_export_then_reimport_keeps_blocks_messages_tools_and_rules_exactly(org, path):
    doc = load(path)
    first = import_agent(path.read_bytes(), organization_id=org.id)
    elsewhere = Organization.objects.create(name="elsewhere")

    for entry, agent_id in zip(doc["agents"], first.agent_ids, strict=True):
        exported = export_agent(Agent.objects.get(pk=agent_id))
        again = import_agent(exported, organization_id=elsewhere.id, name="again")
        copy = Agent.objects.get(pk=again.agent_ids[0])
        reexported = export_agent(copy)

        blocks = {b["id"]: b for b in doc["blocks"]}
        own = set(reexported["agents"][0]["block_ids"])  # an agent with a sleep-time agent is exported with it
        assert sorted((b["label"], b["value"], b["limit"]) for b in reexported["blocks"] if b["id"] in own) == sorted(
            (blocks[i]["label"], blocks[i]["value"], blocks[i]["limit"]) for i in entry["block_ids"]
        )
        messages = {m["id"]: m for m in entry["messages"]}
        assert [(m["role"], m["content"]) for m in reexported["agents"][0]["messages"]] == [
            (messages[i]["role"], messages[i]["content"]) for i in entry["in_context_message_ids"]
        ]
        custom = {t["name"]: t["source_code"] for t in doc["tools"] if t["tool_type"] == "custom"}
        assert {t["name"]: t["source_code"] for t in reexported["tools"] if t["name"] in custom} == {
            name: source
            for name, source in custom.items()
            if name in {next(t["name"] for t in doc["tools"] if t["id"] == i) for i in entry["tool_ids"]}
        }
        assert reexported["agents"][0]["tool_rules"] == entry["tool_rules"]
        # our own export survives a second trip unchanged, but for the agent's name and the file's date
        exported["agents"][0]["name"] = "again"
        for companion in exported["agents"][1:]:  # a sleep-time agent keeps its name, plus the copy suffix
            companion["name"] += "_copy"
        assert {**reexported, "created_at": None} == {**exported, "created_at": None}
