"""Compaction end to end: a long conversation stays inside a small window without losing what was learned."""

import pytest
from asgiref.sync import sync_to_async

from agents.models import Agent, Message
from agents.recall import search_messages
from agents.runtime.compaction import SUMMARIZER_PROMPT
from agents.runtime.loop import run_agent
from agents.runtime.request_options import RequestOptions
from agents.tokens import count_request
from memory.models import Block
from tests.fakes import Reply

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]

WINDOW = 4000


def is_summarizer(request: dict) -> bool:
    return request["messages"][0]["content"] == SUMMARIZER_PROMPT


def scripted_model(request: dict) -> Reply:
    """A stand-in model: summarizes when asked, stores facts it is told to, otherwise chats."""
    if is_summarizer(request):
        return Reply(text="Summary: the user chatted about many numbered topics and shared a favourite colour.")
    last = request["messages"][-1]
    if last["role"] == "tool":
        return Reply(text="Done.")
    said = last["content"]
    if said.startswith("Remember:"):
        return Reply(tool_calls=[("memory_insert", {"label": "human", "new_string": said[len("Remember: ") :]})])
    return Reply(text=f"Interesting point about topic {said.split()[-1]}. Tell me more, I am listening carefully.")


async def test_three_hundred_turns_stay_inside_the_window_and_keep_what_was_learned(make_agent, fake_openai):
    agent = await sync_to_async(make_agent)(context_window_limit=WINDOW)
    fake_openai.responder = scripted_model

    await run_agent(agent.id, input="Hello there, topic 1")
    await run_agent(agent.id, input="Let me tell you about topic 2")
    await run_agent(agent.id, input="Remember: favourite colour is ultramarine")
    for turn in range(4, 301):
        result = await run_agent(agent.id, input=f"Some more chatter about the weather and news, topic {turn}")
        assert result.stop_reason == "end_turn", result.error

    agent_requests = [r for r in fake_openai.requests if not is_summarizer(r)]
    assert len(agent_requests) == 301  # 300 turns, one of which took two steps
    for request in agent_requests:
        assert count_request(request["messages"], request.get("tools"), "gpt-4.1-mini").tokens <= WINDOW
    for request in agent_requests[3:]:
        assert "favourite colour is ultramarine" in request["messages"][0]["content"]
    summaries = await Message.objects.filter(agent=agent, role="summary").acount()
    assert summaries >= 5
    assert len(fake_openai.requests) - len(agent_requests) >= summaries

    fresh = await Agent.objects.aget(pk=agent.pk)
    in_context = [m async for m in Message.objects.filter(id__in=fresh.message_ids)]
    assert sum(1 for m in in_context if m.role == "summary") == 1
    assert "ultramarine" in (await Block.objects.aget(agents=agent, label="human")).value
    found = await sync_to_async(search_messages)(agent.id, "ultramarine")
    assert any("favourite colour is ultramarine" in hit["content"] and hit["role"] == "user" for hit in found)
    # nothing was deleted: all 600-odd messages are still stored, and the agent's counter agrees
    stored = await Message.objects.filter(agent=agent).acount()
    assert stored > 600 and fresh.message_count == stored


async def test_provider_overflow_compacts_and_retries(make_agent, fake_openai):
    agent = await sync_to_async(make_agent)()
    for turn in range(4):
        fake_openai.script(Reply(text=f"answer {turn}"))
        await run_agent(agent.id, input=f"question {turn}")
    fake_openai.script(
        Reply.context_overflow(),
        Reply(text="Summary: four questions were asked and answered."),
        Reply(text="Fresh answer."),
    )
    events = []

    async def collect(event):
        events.append(event)

    result = await run_agent(
        agent.id, input="question 5", on_event=collect, options=RequestOptions(include_compaction_messages=True)
    )

    assert result.stop_reason == "end_turn" and result.messages[-1]["content"] == "Fresh answer."
    assert any(e["message_type"] == "event_message" and e["event_type"] == "compaction" for e in events)
    retried = fake_openai.last_request["messages"]
    assert retried[1]["role"] == "user" and "Summary: four questions" in retried[1]["content"]
    assert retried[-1]["content"] == "question 5"


async def test_memory_too_large_for_the_window_stops_with_a_clear_reason(make_agent, fake_openai):
    agent = await sync_to_async(make_agent)(
        context_window_limit=1500,
        blocks=[{"label": "human", "value": "fact " * 1200, "limit": 10_000}, {"label": "persona", "value": "hi"}],
    )
    result = await run_agent(agent.id, input="hello")

    assert result.stop_reason == "context_window_overflow_in_system_prompt"
    assert "'human'" in result.error["message"] and "context_window_limit" in result.error["message"]
    assert fake_openai.requests == []


async def test_summarize_on_request_shrinks_the_context_and_reports_it(make_agent, fake_openai):
    from agents.runtime.errors import RunRefused
    from agents.runtime.summarize import summarize_agent

    agent = await sync_to_async(make_agent)()
    with pytest.raises(RunRefused, match="Nothing to summarize"):
        await summarize_agent(agent.id)
    for turn in range(6):
        fake_openai.script(Reply(text=f"answer {turn}"))
        await run_agent(agent.id, input=f"question {turn}")
    fake_openai.script(Reply(text="Six questions, six answers."))

    result = await summarize_agent(agent.id)

    assert result["summary"] == "Six questions, six answers."
    assert result["num_messages_before"] == 13 and result["num_messages_after"] < 13
    fresh = await Agent.objects.aget(pk=agent.pk)
    assert len(fresh.message_ids) == result["num_messages_after"]
    fake_openai.script(Reply(text="still here"))
    after = await run_agent(agent.id, input="next")
    assert "Six questions, six answers." in fake_openai.last_request["messages"][1]["content"]
    assert after.stop_reason == "end_turn"


async def test_a_separate_summarizer_model_is_asked_within_its_own_window(make_agent, fake_openai, settings):
    """LETTA_SUMMARIZER_MODEL may have a smaller window than the agent's: the transcript is cut to fit it."""
    settings.SUMMARIZER_MODEL = "openai/small-summarizer"  # a model no table knows: the default window
    settings.DEFAULT_CONTEXT_WINDOW = 2000
    agent = await sync_to_async(make_agent)(context_window_limit=200_000)
    fake_openai.responder = scripted_model
    # Large enough that half of it (what a manual compaction summarizes) overflows one summarizer request, whose
    # output cap (a tenth of its window) leaves most of its 60% for the transcript.
    thought = "Here is a long thought about gardens, rivers, old maps and the people who drew them. " * 6
    for turn in range(12):
        await run_agent(agent.id, input=f"{thought}Topic {turn}")
    from agents.runtime.summarize import summarize_agent

    await summarize_agent(agent.id)

    asked = [r for r in fake_openai.requests if is_summarizer(r)]
    assert len(asked) > 1, "the transcript fits the agent's window, but not the summarizer's"
    assert {r["model"] for r in asked} == {"small-summarizer"}
    assert all(count_request(r["messages"], None, "small-summarizer").tokens < 2000 for r in asked)
