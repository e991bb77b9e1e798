"""Archival memory through the loop: full text by default, meaning too once the agent has an embedding model."""

import pytest
from asgiref.sync import sync_to_async

from agents.runtime.loop import run_agent
from memory.models import Passage
from tests.fakes import Reply

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


def tool_returns(result) -> list[str]:
    return [m["tool_return"] for m in result.messages if m["message_type"] == "tool_return_message"]


async def test_archival_insert_and_search_work_without_an_embedding_model(make_agent, fake_openai):
    agent = await sync_to_async(make_agent)(tools=["archival_memory_insert", "archival_memory_search"])
    fake_openai.script(
        Reply(tool_calls=[("archival_memory_insert", {"content": "The launch moved to March 14", "tags": ["plan"]})]),
        Reply(text="Stored."),
        Reply(tool_calls=[("archival_memory_search", {"query": "when is the launch"})]),
        Reply(text="March 14."),
    )
    await run_agent(agent.id, input="note: launch moved to March 14")
    result = await run_agent(agent.id, input="when is the launch?")

    assert "The launch moved to March 14" in tool_returns(result)[0]
    passage = await Passage.objects.aget()
    assert passage.embedding is None and passage.tags == ["plan"]
    assert fake_openai.embedding_requests == []


async def test_agents_embedding_model_is_used_for_archival_memory(make_agent, fake_openai):
    agent = await sync_to_async(make_agent)(
        tools=["archival_memory_insert", "archival_memory_search"], embedding="openai/text-embedding-3-small"
    )
    fake_openai.script(
        Reply(tool_calls=[("archival_memory_insert", {"content": "Quarterly revenue grew twelve percent"})]),
        Reply(text="Stored."),
        Reply(tool_calls=[("archival_memory_search", {"query": "revenue growth"})]),
        Reply(text="Twelve percent."),
    )
    await run_agent(agent.id, input="remember the revenue figure")
    result = await run_agent(agent.id, input="how did revenue do?")

    passage = await Passage.objects.aget()
    assert passage.embedding and passage.embedding_model == "openai/text-embedding-3-small"
    assert [r["model"] for r in fake_openai.embedding_requests] == ["text-embedding-3-small"] * 2
    assert "Quarterly revenue grew twelve percent" in tool_returns(result)[0]


async def test_a_failing_embedding_provider_falls_back_to_full_text(make_agent, fake_openai, fake_anthropic):
    agent = await sync_to_async(make_agent)(tools=["archival_memory_insert"], embedding="anthropic/claude-haiku-4-5")
    fake_openai.script(
        Reply(tool_calls=[("archival_memory_insert", {"content": "A fact worth keeping"})]), Reply(text="Stored.")
    )

    result = await run_agent(agent.id, input="keep this")

    assert result.stop_reason == "end_turn" and "Stored in archival memory" in tool_returns(result)[0]
    assert (await Passage.objects.aget()).embedding is None
