"""Provider traces and step timings: each model call keeps the exact body the provider received and what it
answered (or the error), bounded in size and in age; each step keeps its time to first token and each tool's time."""

import asyncio
import json
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.utils import timezone

from agents import traces
from agents.models import ProviderTrace, Step
from agents.runtime import run_lifecycle
from agents.runtime.loop import run_agent
from agents.traces import bounded
from tests.agents.test_custom_tools import attach
from tests.fakes import Reply
from tests.waiting import await_until

pytestmark = pytest.mark.django_db(transaction=True)

SLOW_TOOL = '''
import time

def slow_lookup(topic: str) -> str:
    """Look something up, slowly.

    Args:
        topic: What to look up.
    """
    time.sleep(0.2)
    return f"{topic}: found"
'''


def steps_of(run_id: str) -> list[Step]:
    return list(Step.objects.filter(run_id=run_id).order_by("created_at", "id"))


def traces_of(run_id: str) -> list[ProviderTrace]:
    return list(ProviderTrace.objects.filter(run_id=run_id).order_by("created_at", "id"))


def streamed_text(events: list[dict]) -> str:
    """The answer's text, out of OpenAI chunks or Anthropic events."""
    pieces = []
    for event in events:
        for choice in event.get("choices") or []:
            pieces.append((choice.get("delta") or {}).get("content") or "")
        pieces.append((event.get("delta") or {}).get("text") or "")
    return "".join(pieces)


async def test_each_step_keeps_the_exact_request_the_provider_received_and_its_streamed_answer(make_agent, fake_openai):
    agent = await sync_to_async(make_agent)()
    fake_openai.script(
        Reply(tool_calls=[("memory_insert", {"label": "human", "new_string": "Name: Ada"})]),
        Reply(text="Nice to meet you, Ada."),
    )
    result = await run_agent(agent.id, input="I'm Ada")

    steps = await sync_to_async(steps_of)(result.run_id)
    kept = [await sync_to_async(traces.of_step)(step.id) for step in steps]
    assert [t.request_json for t in kept] == fake_openai.requests
    for trace in kept:
        assert trace.request_json["stream"] is True  # the body as posted, stream flags included
        assert trace.call_type == "agent_step" and trace.agent_id == agent.id and trace.run_id == result.run_id
        assert trace.endpoint == fake_openai.base_url.rstrip("/") + "/chat/completions"
        assert trace.provider_type == "openai" and trace.latency_ms is not None and not trace.truncated
        assert "sk-test" not in json.dumps([trace.request_json, trace.response_json])  # no key, no header
    assert streamed_text(kept[1].response_json["stream"]) == "Nice to meet you, Ada."
    assert '"name": "memory_insert"' in json.dumps(kept[0].response_json["stream"])
    for step in steps:
        assert step.ttft_ns is not None and 0 < step.ttft_ns <= step.llm_duration_ns <= step.total_duration_ns


async def test_an_anthropic_step_keeps_its_messages_body_and_event_stream(make_agent, fake_anthropic):
    agent = await sync_to_async(make_agent)(model="anthropic/claude-sonnet-4-5")
    fake_anthropic.script(Reply(reasoning="A greeting.", text="Hello there."))
    result = await run_agent(agent.id, input="hi")

    (trace,) = await sync_to_async(traces_of)(result.run_id)
    assert trace.request_json == fake_anthropic.last_request
    assert trace.provider_type == "anthropic" and trace.endpoint.endswith("/v1/messages")
    kinds = [event["type"] for event in trace.response_json["stream"]]
    assert kinds[0] == "message_start" and kinds[-1] == "message_stop"
    assert streamed_text(trace.response_json["stream"]) == "Hello there."


async def test_a_failed_step_keeps_the_providers_error(make_agent, fake_openai):
    agent = await sync_to_async(make_agent)()
    fake_openai.script(*[Reply.server_error("upstream exploded") for _ in range(3)])  # the first try and 2 retries
    result = await run_agent(agent.id, input="hello")

    assert result.stop_reason == "llm_api_error"
    (step,) = await sync_to_async(steps_of)(result.run_id)
    trace = await sync_to_async(traces.of_step)(step.id)
    assert step.status == "failed" and trace.request_json == fake_openai.last_request
    error = trace.response_json["error"]
    assert error["status"] == 500 and error["type"] == "llm_error"
    assert "upstream exploded" in json.dumps(error["body"]) and "server error" in error["message"]


async def test_a_cancelled_step_keeps_what_it_sent(make_agent, fake_openai):
    agent = await sync_to_async(make_agent)()
    fake_openai.script(Reply(text="Never shown.", delay=5.0))
    running = asyncio.ensure_future(run_agent(agent.id, input="slow please"))
    await await_until(lambda: fake_openai.requests, message="the model request")
    await sync_to_async(run_lifecycle.request_cancel)(agent.id)
    result = await running

    (step,) = await sync_to_async(steps_of)(result.run_id)
    trace = await sync_to_async(traces.of_step)(step.id)
    assert step.status == "cancelled" and trace.request_json == fake_openai.last_request
    assert trace.response_json["error"]["type"] == "cancelled"


async def test_an_overflow_retry_keeps_every_call_and_the_summarizers_in_order(make_agent, fake_openai):
    agent = await sync_to_async(make_agent)()
    for turn in range(3):
        fake_openai.script(Reply(text=f"answer {turn}"))
        await run_agent(agent.id, input=f"question {turn}")
    fake_openai.reset()
    fake_openai.script(Reply.context_overflow(), Reply(text="Summary: three questions."), Reply(text="Fresh answer."))
    result = await run_agent(agent.id, input="question 4")

    (step,) = await sync_to_async(steps_of)(result.run_id)
    kept = await sync_to_async(traces_of)(result.run_id)
    assert [t.call_type for t in kept] == ["agent_step", "summarization", "agent_step"]
    assert all(t.step_id == step.id for t in kept)
    assert [t.request_json for t in kept] == fake_openai.requests
    overflow, summary, answer = kept
    assert overflow.response_json["error"]["status"] == 400
    # The summarizer is not streamed: its trace is the whole parsed answer.
    assert "stream" not in summary.request_json and "stream" not in summary.response_json
    assert summary.response_json["choices"][0]["message"]["content"] == "Summary: three questions."
    assert (await sync_to_async(traces.of_step)(step.id)).id == answer.id  # the call that produced the answer


async def test_summarizing_on_request_writes_a_summarization_trace(make_agent, fake_openai):
    from agents.runtime.summarize import summarize_agent

    agent = await sync_to_async(make_agent)()
    for turn in range(3):
        fake_openai.script(Reply(text=f"answer {turn}"))
        await run_agent(agent.id, input=f"question {turn}")
    fake_openai.script(Reply(text="They asked three questions."))
    await summarize_agent(agent.id)

    trace = await ProviderTrace.objects.filter(agent=agent, call_type="summarization").afirst()
    assert trace.step_id is None and trace.run_id is not None
    assert trace.request_json == fake_openai.last_request


async def test_an_oversized_request_is_cut_marked_and_still_json(make_agent, fake_openai, settings):
    settings.TRACE_MAX_BYTES = 64 * 1024
    agent = await sync_to_async(make_agent)()
    for turn in range(3):
        fake_openai.script(Reply(text=f"answer {turn}"))
        await run_agent(agent.id, input=f"question {turn} " + "x" * 30_000)

    (trace,) = await sync_to_async(traces_of)(await sync_to_async(_last_run_id)(agent))
    sent = fake_openai.last_request
    assert trace.truncated and len(json.dumps(sent)) > settings.TRACE_MAX_BYTES
    assert len(json.dumps(trace.request_json).encode()) <= settings.TRACE_MAX_BYTES
    assert trace.request_json["_truncated"]["original_bytes"] > settings.TRACE_MAX_BYTES
    messages = trace.request_json["messages"]
    # both ends kept: the system prompt and the newest message; a marker where the middle was
    assert messages[0] == sent["messages"][0] and messages[-1] == sent["messages"][-1]
    assert any("_omitted" in m for m in messages) and trace.request_json["model"] == sent["model"]
    assert not await ProviderTrace.objects.filter(
        agent=agent, truncated=False, request_json__has_key="_truncated"
    ).aexists()


def _last_run_id(agent) -> str:
    return agent.runs.order_by("-created_at").values_list("id", flat=True)[0]


def test_bounded_keeps_the_first_stream_events_then_a_marker():
    events = [{"choices": [{"delta": {"content": f"piece {i} " + "y" * 100}}]} for i in range(200)]
    cut, was_cut = bounded({"stream": events}, 4096)
    assert was_cut and len(json.dumps(cut, separators=(",", ":")).encode()) <= 4096
    assert cut["stream"][0] == events[0] and "_omitted" in cut["stream"][-1]
    kept = len(cut["stream"]) - 1
    assert cut["stream"][:kept] == events[:kept] and cut["stream"][-1]["_omitted"] == 200 - kept
    assert cut["_truncated"]["original_bytes"] > 4096


def test_bounded_keeps_a_prefix_of_anything_else():
    value = {"system": "z" * 10_000, "messages": []}
    cut, was_cut = bounded(value, 2048)
    assert was_cut and cut["json_prefix"].startswith('{"system": "zzz')
    assert len(json.dumps(cut, separators=(",", ":")).encode()) <= 2048 and cut["_truncated"]["limit_bytes"] == 2048
    assert bounded({"small": 1}, 2048) == ({"small": 1}, False)


async def test_keep_days_zero_stores_no_trace(make_agent, fake_openai, settings):
    settings.TRACE_KEEP_DAYS = 0
    agent = await sync_to_async(make_agent)()
    fake_openai.script(Reply(text="hi"))
    result = await run_agent(agent.id, input="hello")

    assert result.stop_reason == "end_turn" and not await ProviderTrace.objects.filter(agent=agent).aexists()
    (step,) = await sync_to_async(steps_of)(result.run_id)
    assert step.ttft_ns is not None  # the timings do not depend on traces


async def test_old_traces_are_pruned_at_most_once_a_minute(make_agent, fake_openai, settings, other_org):
    agent = await sync_to_async(make_agent)()
    fake_openai.script(Reply(text="one"), Reply(text="two"))
    await run_agent(agent.id, input="first")
    await run_agent(agent.id, input="second")
    first, second = [t async for t in ProviderTrace.objects.filter(agent=agent).order_by("created_at")]
    await ProviderTrace.objects.filter(pk=first.pk).aupdate(
        created_at=timezone.now() - timedelta(days=settings.TRACE_KEEP_DAYS, minutes=1)
    )

    traces._last_pruned.pop(agent.organization_id, None)
    assert await sync_to_async(traces.prune_if_due)(agent.organization_id) == 1
    assert [t.pk async for t in ProviderTrace.objects.filter(agent=agent)] == [second.pk]
    assert await sync_to_async(traces.prune_if_due)(agent.organization_id) == 0  # not again within the minute
    assert await sync_to_async(traces.prune_expired)(other_org.id) == 0  # another organization's are its own


async def test_step_timings_name_each_tool_with_its_own_time(make_agent, fake_openai):
    agent = await sync_to_async(make_agent)()
    await attach(agent, SLOW_TOOL)
    fake_openai.script(
        Reply(tool_calls=[("slow_lookup", {"topic": "tea"})]),
        Reply(tool_calls=[("memory_insert", {"label": "human", "new_string": "Likes tea"})]),
        Reply(text="Done."),
    )
    result = await run_agent(agent.id, input="look up tea")

    custom, builtin, answer = await sync_to_async(steps_of)(result.run_id)
    assert [t["name"] for t in custom.tool_timings] == ["slow_lookup"]
    assert [t["name"] for t in builtin.tool_timings] == ["memory_insert"]
    assert answer.tool_timings == [] and answer.tool_duration_ns is None
    for step in (custom, builtin):
        (timing,) = step.tool_timings
        assert timing["tool_call_id"] and timing["duration_ns"] > 0
        assert step.tool_duration_ns >= timing["duration_ns"]
        assert step.total_duration_ns >= step.llm_duration_ns + step.tool_duration_ns
    # the sandboxed tool sleeps; the in-process memory edit does not
    assert custom.tool_timings[0]["duration_ns"] > builtin.tool_timings[0]["duration_ns"]
