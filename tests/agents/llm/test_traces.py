"""What a client records of each model call (`ProviderCall`, on the response or on the error): the body exactly as
posted, where it went, the answer as it came (whole, streamed, or an error), never a key or header."""

from __future__ import annotations

import json

import pytest

from agents.llm import ChatMessage, LLMConnectionError, LLMRequest, LLMServerError, OpenAIClient, ProviderCall
from tests.fakes import Reply

from .helpers import Recorder

pytestmark = pytest.mark.asyncio

HELLO = LLMRequest("gpt-4.1-mini", [ChatMessage("system", "Be brief."), ChatMessage("user", "Hi")])


@pytest.mark.parametrize("stream", [False, True])
async def test_the_call_holds_the_body_posted_and_the_answer(fake_openai, openai_client, stream):
    fake_openai.script(Reply(text="Hello."))
    response = await openai_client.complete(HELLO, on_delta=Recorder() if stream else None)

    call = response.trace
    assert call.request == fake_openai.last_request and call.provider_type == "openai"
    assert call.endpoint == fake_openai.base_url.rstrip("/") + "/chat/completions"
    assert call.latency_ns > 0 and call.error is None
    if stream:
        assert call.response is None and call.events and call.ttft_ns is not None and call.request["stream"] is True
        assert call.answer() == {"stream": call.events}
    else:
        assert call.events is None and call.ttft_ns is None and "stream" not in call.request
        assert call.answer()["choices"][0]["message"]["content"] == "Hello."
    assert "sk-test" not in json.dumps([call.request, call.answer()])


async def test_a_failed_call_is_on_the_error_with_the_providers_body(fake_openai, openai_client):
    fake_openai.script(Reply.server_error("boom"), Reply.server_error("boom"))
    with pytest.raises(LLMServerError) as raised:
        await openai_client.complete(HELLO)

    call = raised.value.trace
    assert call.request == fake_openai.last_request
    assert call.answer()["error"]["status"] == 500 and "boom" in json.dumps(call.answer()["error"]["body"])


async def test_an_unreachable_server_is_an_error_without_a_body(closed_port):
    client = OpenAIClient("sk-test", f"http://127.0.0.1:{closed_port}/v1", max_retries=0, timeout=5)
    mine = ProviderCall()
    try:
        with pytest.raises(LLMConnectionError) as raised:
            await client.complete(HELLO, call=mine)
    finally:
        await client.aclose()
    assert raised.value.trace is mine and mine.request["model"] == "gpt-4.1-mini"
    assert mine.error["status"] is None and mine.error["body"] is None and "refused" in mine.error["message"]
