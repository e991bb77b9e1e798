"""Exporting an agent: Letta's .af shape with file-local ids, no secrets or archival data, and an exact round trip."""

import json
import re

import pytest
from asgiref.sync import sync_to_async

from accounts.models import Organization
from agents import services
from agents.agent_file import export_agent, import_agent
from agents.models import Agent, Message
from agents.runtime.loop import run_agent
from memory.archival import insert_passage
from tests.agents.agent_file.conftest import context_of
from tests.fakes import Reply

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]

PASSAGE = "Ada's passport number is 12345 (archival only)."


async def conversed_agent(make_agent, fake_openai) -> Agent:
    """An agent after a few real turns: a memory edit, an approved call, a reply; plus secrets and an archive."""
    agent = await sync_to_async(make_agent)(
        blocks=[
            {"label": "human", "value": "Name: unknown", "limit": 2000},
            {
                "label": "persona",
                "value": "I am a helpful assistant.",
                "limit": 2000,
                "read_only": True,
                "description": "Who I am.",
            },
        ],
        tools=["archival_memory_insert"],
        tool_rules=[{"type": "requires_approval", "tool_name": "memory_insert"}],
        tags=["demo"],
        metadata={"team": "support"},
    )
    fake_openai.script(
        Reply(
            reasoning="Store the name.",
            tool_calls=[
                ("memory_replace", {"label": "human", "old_string": "Name: unknown", "new_string": "Name: Ada"})
            ],
        ),
        Reply(text="Hi Ada!"),
    )
    await run_agent(agent.id, input="I'm Ada.")
    fake_openai.script(Reply(tool_calls=[("memory_insert", {"label": "human", "new_string": "Likes tea"})]))
    pending = await run_agent(agent.id, input="I like tea.")
    call_id = pending.messages[-1]["tool_call"]["tool_call_id"]
    fake_openai.script(Reply(text="Noted: tea."))
    await run_agent(
        agent.id, [{"type": "approval", "approvals": [{"type": "approval", "tool_call_id": call_id, "approve": True}]}]
    )

    def finish():
        archive_id = services.ensure_archive(agent)
        insert_passage(archive_id=archive_id, organization_id=agent.organization_id, text=PASSAGE)
        Agent.objects.filter(pk=agent.pk).update(secrets={"WEATHER_API_KEY": "sk-live-secret"})
        return Agent.objects.get(pk=agent.pk)

    return await sync_to_async(finish)()


async def test_export_writes_letta_agent_file_shape(make_agent, fake_openai):
    agent = await conversed_agent(make_agent, fake_openai)
    doc = await sync_to_async(export_agent)(agent)
    text = json.dumps(doc)

    assert set(doc) == {
        "agents",
        "groups",
        "blocks",
        "files",
        "sources",
        "tools",
        "mcp_servers",
        "skills",
        "metadata",
        "created_at",
    }
    assert doc["metadata"]["revision_id"]
    (entry,) = doc["agents"]
    assert entry["id"] == "agent-0" and entry["include_base_tools"] is False
    assert [b["id"] for b in doc["blocks"]] == entry["block_ids"] == ["block-0", "block-1"]
    assert entry["tool_ids"] == [t["id"] for t in doc["tools"]] == [f"tool-{n}" for n in range(len(doc["tools"]))]
    assert [t["name"] for t in doc["tools"]] == sorted(t["name"] for t in doc["tools"])
    assert entry["in_context_message_ids"] == [m["id"] for m in entry["messages"]]
    assert all(re.fullmatch(r"message-\d+", m["id"]) and m["agent_id"] == "agent-0" for m in entry["messages"])
    # No database id in the file's structure (the stored system text names its agent, and is kept as it is).
    structure = json.dumps({**doc, "agents": [{**entry, "messages": entry["messages"][1:]}]})
    assert agent.id not in structure and agent.organization_id not in structure

    assert entry["secrets"] == entry["tool_exec_environment_variables"] == {"WEATHER_API_KEY": ""}
    assert "sk-live-secret" not in text
    assert "passport" not in text and "passages" not in text  # archival memory is not part of the format

    assert entry["llm_config"]["handle"] == "openai/gpt-4.1-mini"
    assert entry["tool_rules"] == [{"type": "requires_approval", "tool_name": "memory_insert"}]
    assert (entry["tags"], entry["metadata"]) == (["demo"], {"team": "support"})
    human, persona = doc["blocks"]
    assert (human["label"], human["value"], human["limit"]) == ("human", "Name: Ada\nLikes tea", 2000)
    assert (persona["read_only"], persona["description"]) == (True, "Who I am.")
    roles = [m["role"] for m in entry["messages"]]
    assert roles == [
        "system",
        "user",
        "assistant",
        "tool",
        "assistant",
        "user",
        "approval",
        "approval",
        "tool",
        "assistant",
    ]
    approval_answer = entry["messages"][7]
    assert approval_answer["approval_request_id"] == entry["messages"][6]["id"]
    tool = entry["messages"][3]
    assert tool["tool_returns"][0]["status"] == "success"
    assert json.loads(tool["content"][0]["text"])["status"] == "OK"  # Letta also reads the packaged content


async def test_only_the_in_context_messages_are_exported(make_agent, fake_openai):
    agent = await conversed_agent(make_agent, fake_openai)

    def evict():
        kept = agent.message_ids[:1] + agent.message_ids[5:]
        agent.replace_context(kept)
        return export_agent(Agent.objects.get(pk=agent.pk)), kept

    doc, kept = await sync_to_async(evict)()
    assert len(doc["agents"][0]["messages"]) == len(kept)
    assert "I'm Ada." not in json.dumps(doc)


async def test_round_trip_is_exact_and_the_copy_sends_the_same_conversation(make_agent, fake_openai):
    agent = await conversed_agent(make_agent, fake_openai)
    elsewhere = await Organization.objects.acreate(name="elsewhere")

    def round_trip():
        first = export_agent(agent)
        result = import_agent(
            json.dumps(first).encode(),
            organization_id=elsewhere.id,
            name=agent.name,
            secrets={"WEATHER_API_KEY": "sk-other"},
        )
        copy = Agent.objects.get(pk=result.agent_ids[0])
        return first, export_agent(copy), copy

    first, second, copy = await sync_to_async(round_trip)()
    assert copy.organization_id == elsewhere.id and copy.secrets == {"WEATHER_API_KEY": "sk-other"}
    # the file's own date is the only difference
    assert {**second, "created_at": None} == {**first, "created_at": None}

    # Both agents send the provider the same conversation and tools (the system text is each agent's own).
    requests = []
    for target in (agent, copy):
        fake_openai.script(Reply(text="Still here."))
        await run_agent(target.id, input="Are you there?")
        requests.append(fake_openai.last_request)
    original, copied = requests
    assert copied["messages"][1:] == original["messages"][1:]
    assert sorted(copied["tools"], key=json.dumps) == sorted(original["tools"], key=json.dumps)
    assert "Name: Ada\nLikes tea" in copied["messages"][0]["content"]


async def test_round_trip_into_the_same_organization_reuses_tools(make_agent, fake_openai):
    agent = await conversed_agent(make_agent, fake_openai)

    def again():
        first = export_agent(agent)
        copy = Agent.objects.get(pk=import_agent(first, organization_id=agent.organization_id).agent_ids[0])
        return first, export_agent(copy), copy

    first, second, copy = await sync_to_async(again)()
    assert copy.name == f"{agent.name}_copy"
    first["agents"][0]["name"] = copy.name
    assert {**second, "created_at": None} == {**first, "created_at": None}
    original_tools = {t.id async for t in agent.tools.all()}
    assert {t.id async for t in copy.tools.all()} == original_tools
    copied = await sync_to_async(context_of)(copy)
    assert [m.text for m in copied] == [m.text for m in await sync_to_async(context_of)(agent)]
    assert not await Message.objects.filter(agent=copy, run__isnull=False).aexists()


async def test_an_agent_with_a_sleeptime_agent_exports_and_imports_with_it(make_agent):
    from agents import sleeptime

    def export_and_import():
        agent = make_agent(name="scout", blocks=[{"label": "human", "value": "Name: Ada"}])
        sleeptime.enable(agent, frequency=3)
        doc = json.loads(json.dumps(export_agent(agent)))
        (group,) = doc["groups"]
        primary, sleeper = doc["agents"]
        assert group["manager_config"] == {
            "manager_type": "sleeptime",
            "manager_agent_id": "agent-0",
            "sleeptime_agent_frequency": 3,
        }
        assert group["agent_ids"] == ["agent-1"] and (primary["group_ids"], sleeper["group_ids"]) == (["group-0"], [])
        # As Letta writes it (Letta, reading true, would make a second sleep-time agent).
        assert primary["enable_sleeptime"] is sleeper["enable_sleeptime"] is False
        assert sleeper["agent_type"] == "sleeptime_agent"
        # The blocks they share are written once; the sleep-time agent's own persona is its alone.
        labels = {b["id"]: b["label"] for b in doc["blocks"]}
        assert sorted(labels.values()) == sorted(set(labels.values()))
        assert set(primary["block_ids"]) < set(sleeper["block_ids"])

        result = import_agent(doc, organization_id=agent.organization_id)
        copy = Agent.objects.get(pk=result.agent_ids[0])
        tied = copy.managed_group
        assert tied.sleeptime_agent_id == result.agent_ids[1] and tied.sleeptime_agent_frequency == 3
        assert tied.sleeptime_agent.agent_type == "sleeptime_agent"
        shared = set(copy.blocks.values_list("id", flat=True))
        assert shared < set(tied.sleeptime_agent.blocks.values_list("id", flat=True))  # the same rows, shared
        assert not any("was not imported" in w for w in result.warnings)
        # Exported again, the copy gives the same file.
        again = json.loads(json.dumps(export_agent(copy)))
        for entry in (doc, again):
            entry.pop("created_at")
            for a in entry["agents"]:
                a.pop("name")
        assert again["groups"] == doc["groups"] and again["blocks"] == doc["blocks"]

    await sync_to_async(export_and_import)()
