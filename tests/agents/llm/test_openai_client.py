"""OpenAIClient end to end against the fake OpenAI server: what it sends, and what it makes of the answer."""

from __future__ import annotations

import pytest

from agents.llm import ChatMessage, LLMRequest, ToolCall
from tests.fakes import Reply

from .helpers import WEATHER, Recorder

pytestmark = pytest.mark.asyncio

HISTORY = [
    ChatMessage("system", "You are a weather bot."),
    ChatMessage("user", "Weather in Paris?"),
    ChatMessage(
        "assistant",
        None,
        tool_calls=[ToolCall("call_a", "get_weather", '{"city": "Paris"}')],
        reasoning="ignored by OpenAI",
        reasoning_signature="sig",
    ),
    ChatMessage("tool", "Sunny, 21C", tool_call_id="call_a", name="get_weather"),
]


async def test_request_sent_with_history_tools_and_options(fake_openai, openai_client):
    fake_openai.script(Reply(text="It is sunny."))
    request = LLMRequest(
        "gpt-4.1-mini", HISTORY, tools=[WEATHER], tool_choice="get_weather", temperature=0.3, max_tokens=256
    )
    await openai_client.complete(request)
    sent = fake_openai.last_request

    assert sent["model"] == "gpt-4.1-mini"
    assert sent["messages"] == [
        {"role": "system", "content": "You are a weather bot."},
        {"role": "user", "content": "Weather in Paris?"},
        {
            "role": "assistant",
            "content": "",  # not null: llama-cpp-python refuses null beside tool calls (only OpenAI's API gets it)
            "tool_calls": [
                {
                    "id": "call_a",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "call_a", "content": "Sunny, 21C"},
    ]
    assert sent["tools"] == [
        {
            "type": "function",
            "function": {"name": "get_weather", "description": "Weather for a city.", "parameters": WEATHER.parameters},
        }
    ]
    assert sent["tool_choice"] == {"type": "function", "function": {"name": "get_weather"}}
    assert sent["parallel_tool_calls"] is False
    assert (sent["temperature"], sent["max_tokens"]) == (0.3, 256)
    assert "stream" not in sent


@pytest.mark.parametrize("choice", ["auto", "required", "none"])
async def test_tool_choice_words(fake_openai, openai_client, choice):
    await openai_client.complete(LLMRequest("m", HISTORY[:2], tools=[WEATHER], tool_choice=choice))
    assert fake_openai.last_request["tool_choice"] == choice


async def test_without_tools_nothing_tool_related_or_unset_is_sent(fake_openai, openai_client):
    await openai_client.complete(LLMRequest("m", HISTORY[:2], tool_choice="required"), on_delta=Recorder())
    sent = fake_openai.last_request
    assert set(sent) == {"model", "messages", "stream", "stream_options"}
    assert sent["stream"] is True and sent["stream_options"] == {"include_usage": True}


@pytest.mark.parametrize("stream", [False, True])
async def test_reasoning_captured(fake_openai, openai_client, stream):
    fake_openai.script(Reply(text="42.", reasoning="Six times seven is forty-two."))
    recorder = Recorder()
    resp = await openai_client.complete(LLMRequest("m", HISTORY[:2]), on_delta=recorder if stream else None)
    assert resp.reasoning == "Six times seven is forty-two." and resp.content == "42."
    assert resp.reasoning_signature is None
    if stream:
        assert "".join(recorder.texts("reasoning")) == resp.reasoning
        kinds = [d.kind for d in recorder.deltas]
        assert kinds.index("content") > max(i for i, k in enumerate(kinds) if k == "reasoning")


@pytest.mark.parametrize("stream", [False, True])
async def test_missing_usage_is_reported_as_such(fake_openai, openai_client, stream):
    fake_openai.script(Reply(text="hi", omit_usage=True))
    resp = await openai_client.complete(LLMRequest("m", HISTORY[:2]), on_delta=Recorder() if stream else None)
    assert resp.usage.reported is False
    assert (resp.usage.prompt_tokens, resp.usage.completion_tokens, resp.usage.total_tokens) == (0, 0, 0)


@pytest.mark.parametrize("stream", [False, True])
async def test_malformed_arguments_are_passed_through_verbatim(fake_openai, openai_client, stream):
    fake_openai.script(Reply(tool_calls=[("get_weather", '{"city": "Par')]))
    resp = await openai_client.complete(
        LLMRequest("m", HISTORY[:2], tools=[WEATHER]), on_delta=Recorder() if stream else None
    )
    assert resp.tool_calls[0].arguments == '{"city": "Par'


async def test_raw_response_kept_for_non_stream(fake_openai, openai_client):
    fake_openai.script(Reply(text="hi"))
    resp = await openai_client.complete(LLMRequest("m", HISTORY[:2]))
    assert resp.raw["object"] == "chat.completion" and resp.raw["choices"][0]["message"]["content"] == "hi"


async def test_no_api_key_sends_a_placeholder(fake_openai, monkeypatch):
    from agents.llm import OpenAIClient

    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    client = OpenAIClient(None, fake_openai.base_url, provider_name="ollama")
    resp = await client.complete(LLMRequest("qwen2.5:7b", HISTORY[:2]))
    await client.aclose()
    assert resp.content == "ok"
