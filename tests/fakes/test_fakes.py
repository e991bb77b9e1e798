"""The fakes must satisfy the real SDKs: these tests drive them with AsyncOpenAI / AsyncAnthropic."""

from __future__ import annotations

import asyncio
import http.client
import json
import math
from urllib.parse import urlsplit

import anthropic
import openai
import pytest

from tests.fakes import Reply, fake_embedding

WEATHER = ("get_weather", {"city": "Paris", "days": [1, 2], "units": {"temp": "C"}})
USER = [{"role": "user", "content": "hello"}]


@pytest.fixture
async def oai(fake_openai):
    async with openai.AsyncOpenAI(base_url=fake_openai.base_url, api_key="sk-test", max_retries=2) as client:
        yield client


@pytest.fixture
async def claude(fake_anthropic):
    async with anthropic.AsyncAnthropic(base_url=fake_anthropic.base_url, api_key="sk-ant", max_retries=2) as client:
        yield client


def chat(client, **kw):
    return client.chat.completions.create(model="gpt-4.1-mini", messages=USER, **kw)


def message(client, **kw):
    return client.messages.create(model="claude-haiku-4-5", max_tokens=100, messages=USER, **kw)


# --- OpenAI -----------------------------------------------------------------


async def test_openai_text(fake_openai, oai):
    fake_openai.script(Reply(text="Hello there", prompt_tokens=11, completion_tokens=3))
    resp = await chat(oai)
    assert resp.choices[0].message.content == "Hello there"
    assert resp.choices[0].finish_reason == "stop"
    assert resp.model == "gpt-4.1-mini"
    assert (resp.usage.prompt_tokens, resp.usage.completion_tokens, resp.usage.total_tokens) == (11, 3, 14)
    assert fake_openai.last_request["messages"] == USER
    assert len(fake_openai.requests) == 1


async def test_openai_stream_text_and_usage(fake_openai, oai):
    fake_openai.script(Reply(text="one two three four", reasoning="let me think"))
    stream = await chat(oai, stream=True, stream_options={"include_usage": True})
    contents, reasoning, finish, usage = [], [], None, None
    async for chunk in stream:
        if chunk.usage:
            usage = chunk.usage
        for choice in chunk.choices:
            if choice.delta.content:
                contents.append(choice.delta.content)
            if getattr(choice.delta, "reasoning_content", None):
                reasoning.append(choice.delta.reasoning_content)
            finish = choice.finish_reason or finish
    assert len(contents) == 4 and "".join(contents) == "one two three four"
    assert "".join(reasoning) == "let me think"
    assert finish == "stop"
    assert usage.prompt_tokens > 0 and usage.completion_tokens > 0


async def test_openai_tool_calls(fake_openai, oai):
    fake_openai.script(Reply(tool_calls=[WEATHER, ("noop", {})]))
    msg = (await chat(oai)).choices[0]
    assert msg.finish_reason == "tool_calls" and msg.message.content is None
    calls = msg.message.tool_calls
    assert [c.function.name for c in calls] == ["get_weather", "noop"]
    assert json.loads(calls[0].function.arguments) == WEATHER[1]
    assert calls[0].id.startswith("call_") and calls[0].id != calls[1].id


async def test_openai_stream_tool_calls(fake_openai, oai):
    fake_openai.script(Reply(text="checking", tool_calls=[WEATHER, ("noop", {})]))
    calls: dict[int, dict] = {}
    fragments, finish = 0, None
    async for chunk in await chat(oai, stream=True):
        for choice in chunk.choices:
            finish = choice.finish_reason or finish
            for tc in choice.delta.tool_calls or []:
                call = calls.setdefault(tc.index, {"id": tc.id, "name": tc.function.name, "args": ""})
                fragments += bool(tc.function.arguments)
                call["args"] += tc.function.arguments or ""
    assert finish == "tool_calls"
    assert calls[0]["id"].startswith("call_") and calls[0]["name"] == "get_weather"
    assert json.loads(calls[0]["args"]) == WEATHER[1] and json.loads(calls[1]["args"]) == {}
    assert fragments >= 4


async def test_openai_stream_helper_accumulates(fake_openai, oai):
    fake_openai.script(Reply(text="hi you", tool_calls=[WEATHER]))
    async with oai.chat.completions.stream(model="gpt-4.1-mini", messages=USER) as stream:
        final = await stream.get_final_completion()
    msg = final.choices[0].message
    assert msg.content == "hi you" and json.loads(msg.tool_calls[0].function.arguments) == WEATHER[1]


async def test_openai_omit_usage(fake_openai, oai):
    fake_openai.script(Reply(text="a", omit_usage=True), Reply(text="b", omit_usage=True))
    assert (await chat(oai)).usage is None
    chunks = [c async for c in await chat(oai, stream=True, stream_options={"include_usage": True})]
    assert all(c.usage is None for c in chunks) and all(c.choices for c in chunks)


async def test_openai_finish_length(fake_openai, oai):
    fake_openai.script(Reply(text="cut", tool_calls=[WEATHER], finish="length"))
    assert (await chat(oai)).choices[0].finish_reason == "length"


@pytest.mark.parametrize("failure", [Reply.server_error(), Reply.rate_limited()])
async def test_openai_retry_then_success(fake_openai, oai, failure):
    fake_openai.script(failure, Reply(text="hi"))
    assert (await chat(oai)).choices[0].message.content == "hi"
    assert len(fake_openai.requests) == 2


async def test_openai_errors(fake_openai, oai):
    fake_openai.script(Reply.context_overflow(), Reply.auth_error())
    with pytest.raises(openai.BadRequestError) as exc:
        await chat(oai)
    assert exc.value.code == "context_length_exceeded"
    assert "maximum context length" in exc.value.message
    with pytest.raises(openai.AuthenticationError):
        await chat(oai, stream=True)
    assert len(fake_openai.requests) == 2


async def test_openai_responder(fake_openai, oai):
    fake_openai.responder = lambda req: Reply(text=f"echo {req['messages'][-1]['content']}")
    fake_openai.script(Reply(text="scripted first"))
    first, second = await chat(oai), await chat(oai)
    assert first.choices[0].message.content == "scripted first"
    assert second.choices[0].message.content == "echo hello"
    fake_openai.reset()
    assert (await chat(oai)).choices[0].message.content == "ok"
    assert len(fake_openai.requests) == 1


async def test_openai_broken_responder_is_not_retried(fake_openai, oai):
    fake_openai.responder = lambda req: 1 / 0
    with pytest.raises(openai.InternalServerError, match="ZeroDivisionError"):
        await chat(oai)
    assert len(fake_openai.requests) == 1


async def test_openai_raw_arguments_and_string_script(fake_openai, oai):
    fake_openai.script(Reply(tool_calls=[("f", '{"broken": ')]), "plain text")
    assert (await chat(oai)).choices[0].message.tool_calls[0].function.arguments == '{"broken": '
    assert (await chat(oai)).choices[0].message.content == "plain text"


async def test_openai_concurrency(fake_openai, oai):
    fake_openai.responder = lambda req: Reply(text=req["messages"][0]["content"], delay=0.5)
    results = await asyncio.gather(
        *(oai.chat.completions.create(model="m", messages=[{"role": "user", "content": str(i)}]) for i in range(100))
    )
    assert [r.choices[0].message.content for r in results] == [str(i) for i in range(100)]
    assert len(fake_openai.requests) == 100


async def test_openai_models(fake_openai, oai):
    assert [m.id async for m in oai.models.list()] == ["gpt-4.1-mini", "gpt-4o"]
    fake_openai.models = ["local-model"]
    assert (await oai.models.retrieve("local-model")).owned_by
    with pytest.raises(openai.NotFoundError):
        await oai.models.retrieve("gpt-4o")


async def test_openai_embeddings(fake_openai, oai):
    texts = ["the cat sat on the mat", "a cat on a mat", "quarterly tax filing"]
    resp = await oai.embeddings.create(model="text-embedding-3-small", input=texts)  # SDK default: base64
    floats = await oai.embeddings.create(model="text-embedding-3-small", input=texts, encoding_format="float")
    vecs = [d.embedding for d in resp.data]
    assert len(vecs) == 3 and len(vecs[0]) == 64 and resp.usage.total_tokens > 0
    for got, want in zip(vecs, [d.embedding for d in floats.data]):
        assert all(math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-7) for a, b in zip(got, want))
    assert floats.data[0].embedding == fake_embedding(texts[0])

    def cos(a, b):
        return sum(x * y for x, y in zip(a, b))

    assert cos(vecs[0], vecs[1]) > cos(vecs[0], vecs[2])
    one = await oai.embeddings.create(model="e", input="x", dimensions=8, encoding_format="float")
    assert len(one.data[0].embedding) == 8
    assert fake_openai.requests == [] and len(fake_openai.embedding_requests) == 3


def test_openai_keepalive_raw(fake_openai):
    """Streaming and plain responses share one HTTP/1.1 connection without desyncing it."""
    fake_openai.script(Reply(text="a b c"), Reply(text="plain"), Reply(text="again"))
    conn = http.client.HTTPConnection("127.0.0.1", urlsplit(fake_openai.base_url).port, timeout=5)
    bodies = []
    for stream in (True, False, True):
        payload = json.dumps({"model": "m", "messages": USER, "stream": stream})
        conn.request("POST", "/v1/chat/completions", payload, {"Content-Type": "application/json"})
        resp = conn.getresponse()
        assert resp.status == 200 and not resp.will_close
        bodies.append(resp.read().decode())
    conn.close()
    assert bodies[0].endswith("data: [DONE]\n\n")
    assert json.loads(bodies[1])["choices"][0]["message"]["content"] == "plain"


# --- Anthropic --------------------------------------------------------------


async def test_anthropic_text(fake_anthropic, claude):
    fake_anthropic.script(Reply(text="Hello there", prompt_tokens=9, completion_tokens=2))
    msg = await message(claude)
    assert [b.type for b in msg.content] == ["text"] and msg.content[0].text == "Hello there"
    assert msg.stop_reason == "end_turn" and msg.model == "claude-haiku-4-5"
    assert (msg.usage.input_tokens, msg.usage.output_tokens, msg.usage.cache_read_input_tokens) == (9, 2, 0)
    assert fake_anthropic.last_request["max_tokens"] == 100


async def test_anthropic_stream_helper(fake_anthropic, claude):
    fake_anthropic.script(Reply(text="one two three", reasoning="hmm ok", completion_tokens=7))
    async with claude.messages.stream(model="claude-haiku-4-5", max_tokens=100, messages=USER) as stream:
        pieces = [t async for t in stream.text_stream]
        final = await stream.get_final_message()
    assert pieces == ["one ", "two ", "three"]
    thinking, text = final.content
    assert thinking.type == "thinking" and thinking.thinking == "hmm ok" and thinking.signature
    assert text.text == "one two three"
    assert final.stop_reason == "end_turn" and final.usage.output_tokens == 7 and final.usage.input_tokens > 0


async def test_anthropic_raw_stream_tool_use(fake_anthropic, claude):
    fake_anthropic.script(Reply(text="checking", tool_calls=[WEATHER]))
    events = [e async for e in await message(claude, stream=True)]
    types = [e.type for e in events]
    assert types[0] == "message_start" and types[-2:] == ["message_delta", "message_stop"]
    partial = "".join(e.delta.partial_json for e in events if e.type == "content_block_delta" and e.index == 1)
    assert json.loads(partial) == WEATHER[1]
    assert sum(1 for e in events if e.type == "content_block_delta" and e.delta.type == "input_json_delta") >= 2
    block = next(e.content_block for e in events if e.type == "content_block_start" and e.index == 1)
    assert block.type == "tool_use" and block.name == "get_weather" and block.id.startswith("toolu_")
    assert events[-2].delta.stop_reason == "tool_use"


async def test_anthropic_tool_use(fake_anthropic, claude):
    fake_anthropic.script(Reply(tool_calls=[WEATHER, ("noop", {})]), Reply(tool_calls=[WEATHER]))
    msg = await message(claude)
    assert msg.stop_reason == "tool_use"
    assert [(b.name, b.input) for b in msg.content] == [WEATHER, ("noop", {})]
    async with claude.messages.stream(model="claude-haiku-4-5", max_tokens=100, messages=USER) as stream:
        final = await stream.get_final_message()
    assert final.content[0].input == WEATHER[1] and final.stop_reason == "tool_use"


async def test_anthropic_finish_length(fake_anthropic, claude):
    fake_anthropic.script(Reply(text="cut", finish="length"))
    assert (await message(claude)).stop_reason == "max_tokens"


async def test_anthropic_retry_then_success(fake_anthropic, claude):
    fake_anthropic.script(Reply.server_error(), Reply(text="hi"))
    assert (await message(claude)).content[0].text == "hi"
    assert len(fake_anthropic.requests) == 2


async def test_anthropic_errors(fake_anthropic, claude):
    fake_anthropic.script(Reply.context_overflow(), Reply.auth_error())
    with pytest.raises(anthropic.BadRequestError) as exc:
        await message(claude)
    assert exc.value.body["error"]["type"] == "invalid_request_error"
    assert "prompt is too long: 210000 tokens > 200000 maximum" in str(exc.value)
    assert exc.value.response.headers["request-id"].startswith("req_")
    with pytest.raises(anthropic.AuthenticationError):
        async with claude.messages.stream(model="claude-haiku-4-5", max_tokens=10, messages=USER) as stream:
            await stream.get_final_message()


async def test_anthropic_concurrency(fake_anthropic, claude):
    fake_anthropic.responder = lambda req: Reply(text="x", delay=0.5)
    results = await asyncio.gather(*(message(claude) for _ in range(50)))
    assert all(r.content[0].text == "x" for r in results) and len(fake_anthropic.requests) == 50


async def test_anthropic_models(fake_anthropic, claude):
    models = [m async for m in claude.models.list()]
    assert [m.id for m in models] == ["claude-sonnet-4-5", "claude-haiku-4-5"]
    assert models[0].display_name == "Claude Sonnet 4.5"
    count = await claude.messages.count_tokens(model="claude-haiku-4-5", messages=USER)
    assert count.input_tokens > 0 and fake_anthropic.requests == []


def test_anthropic_requires_version_header(fake_anthropic):
    conn = http.client.HTTPConnection("127.0.0.1", urlsplit(fake_anthropic.base_url).port, timeout=5)
    conn.request("POST", "/v1/messages", json.dumps({"model": "m"}), {"Content-Type": "application/json"})
    resp = conn.getresponse()
    body = json.loads(resp.read())
    conn.close()
    assert resp.status == 400 and body["type"] == "error" and "anthropic-version" in body["error"]["message"]
