"""Behaviour both clients share, end to end: real SDKs against the fake OpenAI and Anthropic servers."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import pytest_asyncio

from agents.llm import (
    AnthropicClient,
    ChatMessage,
    LLMAuthenticationError,
    LLMConnectionError,
    LLMContextWindowExceededError,
    LLMError,
    LLMNotFoundError,
    LLMRateLimitError,
    LLMRequest,
    LLMServerError,
    LLMTimeoutError,
    OpenAIClient,
    ToolSpec,
)
from tests.fakes import Reply

from .helpers import Recorder

pytestmark = pytest.mark.asyncio

CLIENTS = {"openai": OpenAIClient, "anthropic": AnthropicClient}
WEATHER = ToolSpec("get_weather", "Weather for a city.", {"type": "object", "properties": {"city": {"type": "string"}}})
TIME = ToolSpec("get_time", "Time in a city.", {"type": "object", "properties": {"city": {"type": "string"}}})
ARGS = {"city": "Paris", "days": [1, 2], "units": {"temp": "C"}, "note": 'naïve "quoted"'}


def ask(text: str = "hi", **kw) -> LLMRequest:
    return LLMRequest(
        model=kw.pop("model", "test-model"),
        messages=[ChatMessage("system", "Be brief."), ChatMessage("user", text)],
        **kw,
    )


@pytest.fixture(params=["openai", "anthropic"])
def kind(request) -> str:
    return request.param


@pytest.fixture
def fake(kind, fake_openai, fake_anthropic):
    return fake_openai if kind == "openai" else fake_anthropic


@pytest_asyncio.fixture
async def client(kind, fake):
    client = CLIENTS[kind]("sk-test", fake.base_url, max_retries=1, timeout=10)
    yield client
    await client.aclose()


def make(kind, base_url, **kw):
    return CLIENTS[kind]("sk-test", base_url, **{"max_retries": 0, "timeout": 10, **kw})


async def test_text_stream_matches_non_stream(fake, client):
    reply = dict(text="The quick brown fox jumps.", prompt_tokens=42, completion_tokens=7)
    fake.script(Reply(**reply), Reply(**reply))
    whole = await client.complete(ask())
    recorder = Recorder()
    streamed = await client.complete(ask(), on_delta=recorder)

    assert whole.content == "The quick brown fox jumps."
    assert recorder.texts("content") == ["The ", "quick ", "brown ", "fox ", "jumps."]
    assert (streamed.content, streamed.tool_calls, streamed.finish_reason, streamed.model, streamed.reasoning) == (
        whole.content,
        whole.tool_calls,
        whole.finish_reason,
        whole.model,
        whole.reasoning,
    )
    assert streamed.usage == whole.usage
    assert (whole.usage.prompt_tokens, whole.usage.completion_tokens, whole.usage.total_tokens) == (42, 7, 49)
    assert whole.finish_reason == "stop" and whole.model == "test-model" and whole.usage.reported


@pytest.mark.parametrize("stream", [False, True])
async def test_single_tool_call_arguments_intact(fake, client, stream):
    fake.script(Reply(tool_calls=[("get_weather", ARGS)]))
    recorder = Recorder()
    resp = await client.complete(ask(tools=[WEATHER]), on_delta=recorder if stream else None)

    assert resp.finish_reason == "tool_calls"
    [call] = resp.tool_calls
    assert call.name == "get_weather" and call.id
    assert json.loads(call.arguments) == ARGS
    if stream:
        pieces = recorder.tool_pieces()
        assert (pieces[0].tool_call_id, pieces[0].tool_name) == (call.id, "get_weather")
        assert len(pieces) > 2 and "".join(p.text for p in pieces) and all(p.tool_call_index == 0 for p in pieces)


async def test_parallel_tool_calls_stream_and_not(fake, client):
    calls = [("get_weather", {"city": "Paris"}), ("get_time", {"city": "Rome"})]
    fake.script(
        Reply(text="Checking both.", tool_calls=calls, prompt_tokens=5, completion_tokens=5),
        Reply(text="Checking both.", tool_calls=calls, prompt_tokens=5, completion_tokens=5),
    )
    request = ask(tools=[WEATHER, TIME], parallel_tool_calls=True)
    whole = await client.complete(request)
    recorder = Recorder()
    streamed = await client.complete(request, on_delta=recorder)

    for resp in (whole, streamed):
        assert [(c.name, c.arguments) for c in resp.tool_calls] == [(c.name, c.arguments) for c in whole.tool_calls]
        assert resp.content == "Checking both." and resp.finish_reason == "tool_calls"
    assert [(c.name, json.loads(c.arguments)) for c in whole.tool_calls] == calls
    firsts = [d for d in recorder.tool_pieces() if d.tool_call_id]
    assert [(d.tool_call_index, d.tool_call_id, d.tool_name) for d in firsts] == [
        (0, streamed.tool_calls[0].id, "get_weather"),
        (1, streamed.tool_calls[1].id, "get_time"),
    ]
    assert len({c.id for c in streamed.tool_calls}) == 2


@pytest.mark.parametrize("stream", [False, True])
async def test_length_finish(fake, client, stream):
    fake.script(Reply(text="cut sho", finish="length"))
    resp = await client.complete(ask(max_tokens=3), on_delta=Recorder() if stream else None)
    assert resp.finish_reason == "length" and resp.content == "cut sho"


@pytest.mark.parametrize("stream", [False, True])
async def test_server_error_then_success_is_retried(fake, client, stream):
    fake.script(Reply.server_error(), Reply(text="recovered"))
    resp = await client.complete(ask(), on_delta=Recorder() if stream else None)
    assert resp.content == "recovered"
    assert len(fake.requests) == 2


async def test_server_error_after_retries(fake, client):
    fake.script(Reply.server_error("upstream exploded"), Reply.server_error("upstream exploded"))
    with pytest.raises(LLMServerError) as info:
        await client.complete(ask())
    assert (info.value.error_type, info.value.status_code) == ("llm_error", 500)
    assert "(500)" in info.value.message and fake.base_url in info.value.message
    assert "upstream exploded" in info.value.message and len(fake.requests) == 2


@pytest.mark.parametrize("stream", [False, True])
async def test_rate_limit_after_retries_exhausted(fake, client, stream):
    fake.script(Reply.rate_limited(), Reply.rate_limited())
    with pytest.raises(LLMRateLimitError) as info:
        await client.complete(ask(), on_delta=Recorder() if stream else None)
    assert (info.value.error_type, info.value.status_code) == ("llm_rate_limit", 429)
    assert "(429)" in info.value.message and "after 1 retry:" in info.value.message
    assert len(fake.requests) == 2


@pytest.mark.parametrize("stream", [False, True])
async def test_authentication_error(kind, fake, client, stream):
    fake.script(Reply.auth_error())
    with pytest.raises(LLMAuthenticationError) as info:
        await client.complete(ask(), on_delta=Recorder() if stream else None)
    error = info.value
    assert (error.error_type, error.status_code) == ("llm_authentication", 401)
    assert f"rejected the API key (401) at {fake.base_url}" in error.message
    assert f"{kind.upper()}_API_KEY" in error.message
    assert error.detail  # the provider's own words
    assert len(fake.requests) == 1  # never retried


@pytest.mark.parametrize("stream", [False, True])
async def test_context_overflow(fake, client, stream):
    fake.script(Reply.context_overflow())
    with pytest.raises(LLMContextWindowExceededError) as info:
        await client.complete(ask(model="small-model"), on_delta=Recorder() if stream else None)
    assert (info.value.error_type, info.value.status_code) == ("llm_context_window_exceeded", 400)
    assert "small-model" in info.value.message and info.value.detail
    assert len(fake.requests) == 1


async def test_plain_bad_request_is_not_overflow(fake, client):
    fake.script(Reply(status=400, error_message="messages: roles must alternate"))
    with pytest.raises(LLMError) as info:
        await client.complete(ask())
    assert type(info.value).__name__ == "LLMBadRequestError"
    assert "roles must alternate" in info.value.message


async def test_unknown_model(fake, client):
    fake.script(Reply(status=404, error_message="model 'nope' not found"))
    with pytest.raises(LLMNotFoundError) as info:
        await client.complete(ask(model="nope"))
    assert (info.value.status_code, info.value.error_type) == (404, "llm_not_found")
    assert "'nope'" in info.value.message


@pytest.mark.parametrize("stream", [False, True])
async def test_connection_refused(kind, closed_port, stream):
    base_url = f"http://127.0.0.1:{closed_port}" + ("/v1" if kind == "openai" else "")
    client = make(kind, base_url)
    with pytest.raises(LLMConnectionError) as info:
        await client.complete(ask(), on_delta=Recorder() if stream else None)
    await client.aclose()
    assert (info.value.error_type, info.value.status_code) == ("llm_connection_error", 502)
    assert info.value.message == (
        f"Cannot reach the {'OpenAI' if kind == 'openai' else 'Anthropic'}-compatible server at {base_url}: "
        "connection refused. Is it running?"
    )


async def test_timeout(kind, fake):
    fake.script(Reply(text="too late", delay=0.6))
    client = make(kind, fake.base_url, timeout=0.2)
    with pytest.raises(LLMTimeoutError) as info:
        await client.complete(ask())
    await client.aclose()
    assert (info.value.error_type, info.value.status_code) == ("llm_timeout", 504)
    assert fake.base_url in info.value.message and "0.2 s" in info.value.message


async def test_a_failing_on_delta_propagates_untouched(fake, client):
    fake.script(Reply(text="one two"))

    async def explode(delta):
        raise KeyError("from the caller")

    with pytest.raises(KeyError, match="from the caller"):
        await client.complete(ask(), on_delta=explode)


async def test_list_models(kind, fake, client):
    models = await client.list_models()
    assert [m.name for m in models] == list(fake.default_models)
    if kind == "anthropic":
        assert (models[0].context_window, models[0].display_name) == (200000, "Claude Sonnet 4.5")


async def test_list_models_unreachable(kind, closed_port):
    client = make(kind, f"http://127.0.0.1:{closed_port}/v1")
    with pytest.raises(LLMConnectionError):
        await client.list_models()
    await client.aclose()


class _HTMLHandler(BaseHTTPRequestHandler):
    """A web server that is not an LLM API: answers everything with an HTML page."""

    def _page(self):
        body = b"<html><body>Welcome to nginx!</body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _page

    def log_message(self, *args):
        pass


@pytest.fixture
def html_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _HTMLHandler)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


async def test_a_response_that_is_not_json_is_an_invalid_response(kind, html_server):
    client = make(kind, html_server)
    with pytest.raises(LLMServerError) as info:
        await client.complete(ask())
    await client.aclose()
    assert "invalid response" in info.value.message and html_server in info.value.message
