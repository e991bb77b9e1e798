"""Tools that know their agent: Letta's `agent_state` argument, with memory edits written back under the agent's
rules, on a real Letta agent file (the deep research agent's tools rely on it)."""

import pytest
from asgiref.sync import sync_to_async

from accounts.models import Organization
from agents.agent_file import import_agent
from agents.models import Agent
from agents.runtime.loop import run_agent
from memory.models import Block, BlockRevision
from tests.agents.agent_file.conftest import FIXTURE_DIR
from tests.fakes import Reply
from tools.models import Tool

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


async def imported_research_agent() -> Agent:
    org = await sync_to_async(Organization.default)()
    data = (FIXTURE_DIR / "deep_research_agent.af").read_bytes()
    result = await sync_to_async(import_agent)(data, organization_id=org.id, model="openai/gpt-4.1-mini")
    return await Agent.objects.aget(pk=result.agent_ids[0])


async def test_the_imported_agent_keeps_its_agent_state_tools_without_agent_state_in_their_schema(providers):
    agent = await imported_research_agent()
    tool = await Tool.objects.aget(organization_id=agent.organization_id, name="create_research_plan")
    assert await agent.tools.filter(name="create_research_plan").aexists()
    assert "agent_state" not in tool.json_schema["parameters"]["properties"]
    assert set(tool.json_schema["parameters"]["properties"]) == {"research_plan", "topic"}


async def test_a_tool_writing_memory_through_agent_state_changes_the_block_with_its_provenance(providers, fake_openai):
    agent = await imported_research_agent()
    plan = ["Find the sources", "Compare them"]
    fake_openai.script(
        Reply(tool_calls=[("create_research_plan", {"research_plan": plan, "topic": "tides"})]),
        Reply(text="Plan made."),
    )

    run = await run_agent(agent.id, input="Research the tides.")

    assert run.stop_reason == "end_turn"
    tool_return = next(m for m in run.messages if m.get("message_type") == "tool_return_message")
    assert tool_return["status"] == "success", tool_return["tool_return"] + str(tool_return.get("stderr"))
    block = await Block.objects.aget(agents=agent, label="research_plan")
    assert "- [ ] Step 1 - Find the sources" in block.value and "`tides`" in block.value
    revision = await BlockRevision.objects.filter(block=block).alatest("version")
    assert (revision.actor_type, revision.tool_name) == ("agent", "create_research_plan")
    assert revision.tool_call_id == tool_return["tool_call_id"]


async def test_a_read_only_block_stays_unchanged_and_the_model_is_told(providers, fake_openai):
    agent = await imported_research_agent()
    await Block.objects.filter(agents=agent, label="research_plan").aupdate(read_only=True)
    before = (await Block.objects.aget(agents=agent, label="research_plan")).value
    fake_openai.script(Reply(tool_calls=[("reset_research", {})]), Reply(text="ok"))

    run = await run_agent(agent.id, input="Start over.")

    tool_return = next(m for m in run.messages if m.get("message_type") == "tool_return_message")
    assert tool_return["status"] == "error" and "read-only" in tool_return["tool_return"]
    assert (await Block.objects.aget(agents=agent, label="research_plan")).value == before


async def test_agent_state_tools_survive_an_export_and_a_second_import(providers):
    from agents.agent_file.exporter import export_agent

    agent = await imported_research_agent()
    exported = await sync_to_async(export_agent)(agent)
    tools = {t["name"]: t for t in exported["tools"]}
    assert "agent_state" in tools["create_research_plan"]["source_code"]
    org = await sync_to_async(Organization.default)()
    again = await sync_to_async(import_agent)(exported, organization_id=org.id, model="openai/gpt-4.1-mini")
    copy = await Agent.objects.aget(pk=again.agent_ids[0])
    assert await copy.tools.filter(name__in=["create_research_plan", "reset_research"]).acount() == 2
