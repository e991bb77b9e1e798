"""AnthropicClient end to end against the fake Anthropic server: what it sends, and what it makes of the answer."""

from __future__ import annotations

import pytest

from agents.llm import ChatMessage, LLMRequest, ToolCall
from tests.fakes import Reply

from .helpers import WEATHER, Recorder

pytestmark = pytest.mark.asyncio

HISTORY = [
    ChatMessage("system", "You are a weather bot."),
    ChatMessage("system", "The user lives in Europe."),
    ChatMessage("user", "Weather in Paris and Rome?"),
    ChatMessage(
        "assistant",
        "Let me look.",
        reasoning="Two lookups.",
        reasoning_signature="sig-1",
        tool_calls=[
            ToolCall("toolu_a", "get_weather", '{"city": "Paris"}'),
            ToolCall("toolu_b", "get_weather", '{"city": "Rome"}'),
        ],
    ),
    ChatMessage("tool", "Sunny", tool_call_id="toolu_a"),
    ChatMessage("tool", "Rainy", tool_call_id="toolu_b"),
]


async def test_request_sent_with_system_merged_turns_and_tools(fake_anthropic, anthropic_client):
    request = LLMRequest("claude-test", HISTORY, tools=[WEATHER], tool_choice="required", temperature=0.3)
    await anthropic_client.complete(request)
    sent = fake_anthropic.last_request

    assert sent["model"] == "claude-test"
    assert sent["system"] == "You are a weather bot.\n\nThe user lives in Europe."
    assert sent["messages"] == [
        {"role": "user", "content": [{"type": "text", "text": "Weather in Paris and Rome?"}]},
        {
            "role": "assistant",
            "content": [
                {"type": "thinking", "thinking": "Two lookups.", "signature": "sig-1"},
                {"type": "text", "text": "Let me look."},
                {"type": "tool_use", "id": "toolu_a", "name": "get_weather", "input": {"city": "Paris"}},
                {"type": "tool_use", "id": "toolu_b", "name": "get_weather", "input": {"city": "Rome"}},
            ],
        },
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": "toolu_a", "content": "Sunny"},
                {"type": "tool_result", "tool_use_id": "toolu_b", "content": "Rainy"},
            ],
        },
    ]
    assert sent["tools"] == [
        {"name": "get_weather", "description": "Weather for a city.", "input_schema": WEATHER.parameters}
    ]
    assert sent["tool_choice"] == {"type": "any", "disable_parallel_tool_use": True}
    assert sent["max_tokens"] == 4096
    assert "temperature" not in sent and "stream" not in sent


@pytest.mark.parametrize(
    "choice, wire",
    [
        ("auto", {"type": "auto"}),
        ("none", {"type": "none"}),
        ("get_weather", {"type": "tool", "name": "get_weather"}),
    ],
)
async def test_tool_choice_with_parallel_calls_allowed(fake_anthropic, anthropic_client, choice, wire):
    await anthropic_client.complete(
        LLMRequest("m", HISTORY[2:3], tools=[WEATHER], tool_choice=choice, parallel_tool_calls=True)
    )
    assert fake_anthropic.last_request["tool_choice"] == wire


async def test_without_tools_nothing_tool_related_is_sent(fake_anthropic, anthropic_client):
    await anthropic_client.complete(LLMRequest("m", HISTORY[2:3], max_tokens=50), on_delta=Recorder())
    sent = fake_anthropic.last_request
    assert set(sent) == {"model", "messages", "max_tokens", "stream"}
    assert sent["stream"] is True and sent["max_tokens"] == 50


@pytest.mark.parametrize("stream", [False, True])
async def test_thinking_captured_with_signature_and_replayable(fake_anthropic, anthropic_client, stream):
    fake_anthropic.script(
        Reply(text="Sunny.", reasoning="The tool said sunny.", tool_calls=[("get_weather", {"city": "Oslo"})])
    )
    recorder = Recorder()
    resp = await anthropic_client.complete(
        LLMRequest("m", HISTORY[2:3], tools=[WEATHER]), on_delta=recorder if stream else None
    )
    assert resp.reasoning == "The tool said sunny."
    assert resp.reasoning_signature and resp.reasoning_signature.startswith("fakesig_")
    if stream:
        assert "".join(recorder.texts("reasoning")) == resp.reasoning

    replay = ChatMessage(
        "assistant",
        resp.content,
        tool_calls=resp.tool_calls,
        reasoning=resp.reasoning,
        reasoning_signature=resp.reasoning_signature,
    )
    await anthropic_client.complete(
        LLMRequest("m", [*HISTORY[2:3], replay, ChatMessage("tool", "ok", tool_call_id=resp.tool_calls[0].id)])
    )
    assistant = fake_anthropic.last_request["messages"][1]
    assert assistant["content"][0] == {
        "type": "thinking",
        "thinking": "The tool said sunny.",
        "signature": resp.reasoning_signature,
    }


@pytest.mark.parametrize("stream", [False, True])
async def test_usage_mapped(fake_anthropic, anthropic_client, stream):
    fake_anthropic.script(Reply(text="hi", prompt_tokens=120, completion_tokens=8))
    resp = await anthropic_client.complete(LLMRequest("m", HISTORY[2:3]), on_delta=Recorder() if stream else None)
    u = resp.usage
    assert (u.prompt_tokens, u.completion_tokens, u.total_tokens, u.cached_input_tokens, u.reported) == (
        120,
        8,
        128,
        0,
        True,
    )


async def test_history_opening_with_the_agent(fake_anthropic, anthropic_client):
    await anthropic_client.complete(
        LLMRequest("m", [ChatMessage("system", "s"), ChatMessage("assistant", "Hello!"), ChatMessage("user", "hi")])
    )
    assert [m["role"] for m in fake_anthropic.last_request["messages"]] == ["user", "assistant", "user"]


async def test_raw_response_kept_for_non_stream(fake_anthropic, anthropic_client):
    fake_anthropic.script(Reply(text="hi"))
    resp = await anthropic_client.complete(LLMRequest("m", HISTORY[2:3]))
    assert resp.raw["type"] == "message" and resp.raw["content"] == [{"type": "text", "text": "hi"}]
