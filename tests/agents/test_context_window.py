"""The context window overview tells the truth about the next request: real SDKs, fake provider servers."""

import pytest
from asgiref.sync import sync_to_async
from django.db import connection
from django.test.utils import CaptureQueriesContext

from agents.context_window import context_overview
from agents.models import Agent, Message, Step
from agents.runtime.loop import run_agent
from agents.tokens import count_request
from memory.models import Block
from tests.fakes import Reply

SECTIONS = (
    "system",
    "core_memory",
    "memory_filesystem",
    "tool_usage_rules",
    "directories",
    "external_memory_summary",
    "summary_memory",
    "functions_definitions",
    "messages",
)
MAX_RULE = {"type": "max_count_per_step", "tool_name": "memory_insert", "max_count_limit": 2}


def overview_of(agent_id: str, pending_user_text: str | None = None) -> dict:
    return context_overview(Agent.objects.get(pk=agent_id), pending_user_text)


def section_sum(overview: dict) -> int:
    return sum(overview[f"num_tokens_{name}"] for name in SECTIONS)


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_overview_is_the_request_the_next_message_sends(make_agent, fake_openai):
    agent = await sync_to_async(make_agent)(tool_rules=[MAX_RULE])
    fake_openai.script(
        Reply(tool_calls=[("memory_insert", {"label": "human", "new_string": "Name: Ada, likes tea"})]),
        Reply(text="Nice to meet you, Ada!", prompt_tokens=777),
    )
    await run_agent(agent.id, input="Hi, I'm Ada and I like tea.")

    overview = await sync_to_async(overview_of)(agent.id, "What's my name?")
    fake_openai.script(Reply(text="You are Ada."))
    await run_agent(agent.id, input="What's my name?")
    sent = fake_openai.last_request

    # the overview rebuilt, byte for byte, the body the provider then received, and counts it as sent
    assert overview["raw_request"] == sent
    assert (
        overview["context_window_size_current"] == count_request(sent["messages"], sent["tools"], "gpt-4.1-mini").tokens
    )
    assert section_sum(overview) == overview["context_window_size_current"]
    assert overview["token_counts_are_estimates"] is False and overview["tokenizer"] == "o200k_base"

    # each section holds what the agent learned and how it is told to behave
    assert "Name: Ada, likes tea" in overview["core_memory"]
    assert overview["core_memory"].startswith("<memory_blocks>")
    assert overview["core_memory"].endswith("</memory_blocks>")
    assert "memory_insert: max 2 use(s) per response" in overview["tool_usage_rules"]
    assert f"AGENT_ID: {agent.id}" in overview["external_memory_summary"]
    assert overview["system_prompt"].startswith("<base_instructions>\nYou are a helpful, stateful agent")
    assert "<memory_blocks>" not in overview["system_prompt"]
    assert all(
        overview[f"num_tokens_{name}"] > 0
        for name in (
            "system",
            "core_memory",
            "tool_usage_rules",
            "external_memory_summary",
            "functions_definitions",
            "messages",
        )
    )
    assert overview["summary_memory"] is None and overview["num_tokens_summary_memory"] == 0
    assert overview["memory_filesystem"] is None and overview["directories"] is None

    # the conversation, tool call and return included, then the message about to be sent
    assert [m["role"] for m in overview["messages"]] == ["user", "assistant", "tool", "assistant", "user"]
    assert overview["messages"][-1]["content"] == [{"type": "text", "text": "What's my name?"}]
    assert overview["messages"][1]["tool_calls"][0]["function"]["name"] == "memory_insert"
    assert overview["num_messages"] == 6
    assert overview["functions_definitions"] == sent["tools"]
    assert overview["context_window_size_max"] > overview["context_window_size_current"]
    assert overview["last_reported_prompt_tokens"] == 777


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_overview_without_pending_text_is_the_buffer_as_it_stands(make_agent, fake_openai):
    agent = await sync_to_async(make_agent)()
    fake_openai.script(Reply(text="Hello!"))
    await run_agent(agent.id, input="Hi there")

    overview = await sync_to_async(overview_of)(agent.id)

    assert [m["role"] for m in overview["messages"]] == ["user", "assistant"]
    assert overview["raw_request"]["messages"][-1] == {"role": "assistant", "content": "Hello!"}
    assert section_sum(overview) == overview["context_window_size_current"]
    # the recall count is every stored message of the agent, the system message among them
    assert overview["num_recall_memory"] == 3 and overview["num_archival_memory"] == 0


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_anthropic_overview_is_an_estimate_in_anthropics_shape(make_agent, fake_anthropic):
    agent = await sync_to_async(make_agent)(model="anthropic/claude-sonnet-4-5")
    fake_anthropic.script(Reply(text="Hi Grace."))
    await run_agent(agent.id, input="I'm Grace.")

    overview = await sync_to_async(overview_of)(agent.id, "Who am I?")
    fake_anthropic.script(Reply(text="You are Grace."))
    await run_agent(agent.id, input="Who am I?")

    raw = overview["raw_request"]
    assert raw == fake_anthropic.last_request
    assert "<memory_blocks>" in raw["system"]
    assert [m["role"] for m in raw["messages"]] == ["user", "assistant", "user"]
    assert overview["token_counts_are_estimates"] is True
    assert overview["tokenizer"] == "o200k_base"
    assert section_sum(overview) == overview["context_window_size_current"]
    # the definitions keep the SDK's OpenAI function shape whatever the provider
    assert all(tool["type"] == "function" for tool in overview["functions_definitions"])


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_last_reported_prompt_tokens_comes_from_the_provider(make_agent, fake_openai):
    agent = await sync_to_async(make_agent)()
    assert (await sync_to_async(overview_of)(agent.id))["last_reported_prompt_tokens"] is None

    fake_openai.script(Reply(text="Hello!", prompt_tokens=4321))
    await run_agent(agent.id, input="Hi")

    overview = await sync_to_async(overview_of)(agent.id)
    assert overview["last_reported_prompt_tokens"] == 4321
    step = await Step.objects.filter(agent_id=agent.id).alatest("created_at")
    assert step.prompt_tokens == 4321


@pytest.mark.django_db
def test_a_compaction_summary_is_its_own_section(make_agent):
    agent = make_agent()
    summary_text = "Note: prior messages have been hidden. The following is a summary: Ada likes tea."
    summary = Message.objects.create(
        organization_id=agent.organization_id,
        agent=agent,
        role="summary",
        content=[{"type": "text", "text": summary_text}],
        text=summary_text,
    )
    later = Message.objects.create(
        organization_id=agent.organization_id,
        agent=agent,
        role="user",
        content=[{"type": "text", "text": "And now?"}],
        text="And now?",
    )
    agent.replace_context([agent.message_ids[0], summary, later], stored=2)

    overview = context_overview(agent)

    assert overview["summary_memory"] == summary_text
    assert overview["num_tokens_summary_memory"] > 0
    assert [m["id"] for m in overview["messages"]] == [later.id]
    assert section_sum(overview) == overview["context_window_size_current"]
    assert overview["raw_request"]["messages"][1] == {"role": "user", "content": summary_text}


@pytest.mark.django_db
def test_memory_edited_outside_a_run_shows_as_the_loop_will_recompile_it(make_agent):
    agent = make_agent()
    stored = Message.objects.get(id=agent.message_ids[0]).text
    Block.objects.filter(agents=agent, label="human").update(value="Name: Lin")

    overview = context_overview(agent)

    assert "Name: Lin" in overview["core_memory"]
    assert "Name: Lin" in overview["raw_request"]["messages"][0]["content"]
    assert section_sum(overview) == overview["context_window_size_current"]
    assert Message.objects.get(id=agent.message_ids[0]).text == stored  # a selector: nothing written


@pytest.mark.django_db
def test_overview_reads_a_bounded_number_of_queries_whatever_the_history(make_agent, django_assert_max_num_queries):
    agent = make_agent()
    with CaptureQueriesContext(connection) as small:
        context_overview(agent)

    Message.objects.bulk_create(
        Message(
            organization_id=agent.organization_id,
            agent=agent,
            role="user",
            content=[{"type": "text", "text": f"old message {i}"}],
            text=f"old message {i}",
        )
        for i in range(500)
    )
    agent.replace_context(agent.message_ids, stored=500)  # stored, out of context: recall memory
    with django_assert_max_num_queries(8):
        overview = context_overview(agent)

    with CaptureQueriesContext(connection) as large:
        context_overview(agent)
    assert len(large) == len(small)
    assert overview["num_recall_memory"] == 501 and overview["messages"] == []
