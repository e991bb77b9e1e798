"""What real OpenAI-compatible servers (llama.cpp, llama-cpp-python, vLLM, Ollama) send and accept, against the
fake taught each of their quirks: every call is taken once, a failed 200 is an error, never an empty turn."""

from __future__ import annotations

import json

import pytest

from agents.llm import (
    ChatMessage,
    LLMContextWindowExceededError,
    LLMEmptyResponseError,
    LLMError,
    LLMRequest,
    ToolCall,
)
from agents.llm import openai_format as oai
from agents.llm.errors import ReportedError, UnusableReply
from agents.llm.openai_client import OpenAIClient
from tests.fakes import Reply

from .helpers import WEATHER, Recorder

PARIS = {"city": "Paris"}
ASKED = [ChatMessage("user", "Weather in Paris?")]


def weather_request(**kw) -> LLMRequest:
    return LLMRequest("local-model", kw.pop("messages", ASKED), tools=[WEATHER], **kw)


async def call(client, request: LLMRequest, stream: bool):
    recorder = Recorder()
    response = await client.complete(request, on_delta=recorder if stream else None)
    return response, recorder


# ------------------------------------------------------------------------------------------- tool calls


@pytest.mark.parametrize("stream", [False, True])
async def test_a_call_sent_as_both_tool_calls_and_function_call_is_taken_once(fake_openai, openai_client, stream):
    fake_openai.script(Reply(tool_calls=[("get_weather", PARIS)], function_call="doubled"))

    response, recorder = await call(openai_client, weather_request(), stream)

    assert [(c.name, json.loads(c.arguments)) for c in response.tool_calls] == [("get_weather", PARIS)]
    if stream:
        assert json.loads("".join(d.text for d in recorder.tool_pieces())) == PARIS


@pytest.mark.parametrize("stream", [False, True])
async def test_an_empty_function_call_is_not_a_second_nameless_call(fake_openai, openai_client, stream):
    fake_openai.script(Reply(tool_calls=[("get_weather", PARIS)], function_call="empty"))

    response, _ = await call(openai_client, weather_request(), stream)

    assert [c.name for c in response.tool_calls] == ["get_weather"]


def test_the_legacy_function_call_alone_still_counts_streamed_and_whole():
    whole = oai.parse_completion(
        {"choices": [{"message": {"function_call": {"name": "f", "arguments": "{}"}}, "finish_reason": "stop"}]},
        requested_model="m",
    )
    streamed = oai.StreamAssembler("m")
    for delta in ({"function_call": {"name": "f", "arguments": ""}}, {"function_call": {"arguments": "{}"}}):
        streamed.feed({"choices": [{"index": 0, "delta": delta, "finish_reason": None}]})
    streamed.feed({"choices": [{"index": 0, "delta": {}, "finish_reason": "function_call"}]})

    assert [(c.name, c.arguments) for c in whole.tool_calls] == [("f", "{}")]
    assert [(c.name, c.arguments) for c in streamed.result().tool_calls] == [("f", "{}")]
    assert streamed.result().finish_reason == "tool_calls"


def test_calls_without_ids_get_one_id_each_that_holds_across_pieces():
    asm = oai.StreamAssembler("m")
    pieces = [
        {"tool_calls": [{"index": 0, "function": {"name": "f", "arguments": '{"a":'}}]},
        {"tool_calls": [{"index": 0, "function": {"arguments": " 1}"}}]},
        {"tool_calls": [{"index": 1, "function": {"name": "g", "arguments": "{}"}}]},
    ]
    deltas = [d for p in pieces for d in asm.feed({"choices": [{"index": 0, "delta": p}]})]
    asm.feed({"choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]})
    calls = asm.result().tool_calls

    assert [(c.name, c.arguments) for c in calls] == [("f", '{"a": 1}'), ("g", "{}")]
    assert calls[0].id != calls[1].id and all(c.id.startswith("call_") for c in calls)
    assert [d.tool_call_id for d in deltas] == [calls[0].id, None, calls[1].id]


@pytest.mark.parametrize(
    "message",
    [
        {"tool_calls": [{"id": "c1", "type": "function", "function": {"arguments": "{}"}}]},
        {"tool_calls": "get_weather"},
        {"tool_calls": [{"id": "c1", "function": "get_weather"}]},
    ],
    ids=["no-name", "not-a-list", "function-not-an-object"],
)
def test_a_tool_call_that_cannot_be_read_is_refused(message):
    with pytest.raises(UnusableReply):
        oai.parse_completion({"choices": [{"message": message, "finish_reason": "tool_calls"}]}, requested_model="m")


async def test_a_nameless_call_from_the_server_is_a_provider_error_with_what_it_sent(fake_openai, openai_client):
    fake_openai.script(Reply(tool_calls=[("", PARIS)]))

    with pytest.raises(LLMError) as info:
        await openai_client.complete(weather_request())

    assert "without a function name" in info.value.message and "Nothing was stored" in info.value.message


# ------------------------------------------------------------------------------------------- failed 200 answers


@pytest.mark.parametrize("shape", ["error", "object"])
async def test_an_error_inside_a_200_stream_is_a_provider_error_in_the_servers_words(fake_openai, openai_client, shape):
    fake_openai.script(Reply(text="Let me", stream_error="Invalid chat handler", stream_error_shape=shape))

    with pytest.raises(LLMError) as info:
        await call(openai_client, LLMRequest("m", ASKED), stream=True)

    assert not isinstance(info.value, LLMContextWindowExceededError)
    assert "Invalid chat handler" in info.value.message and info.value.error_type == "llm_error"
    assert info.value.trace.events  # what arrived before the error is kept


@pytest.mark.parametrize("shape", ["error", "object"])
async def test_an_overflow_reported_inside_a_200_stream_is_a_context_overflow(fake_openai, openai_client, shape):
    said = "Requested tokens (8207) exceed context window of 8192"
    fake_openai.script(Reply(stream_error=said, stream_error_shape=shape))

    with pytest.raises(LLMContextWindowExceededError) as info:
        await call(openai_client, LLMRequest("m", ASKED), stream=True)

    assert info.value.detail == said


async def test_a_stream_cut_off_before_its_finish_reason_is_a_provider_error(fake_openai, openai_client):
    fake_openai.script(Reply(text="The weather in Paris is", stream_error="", stream_error_shape="cut"))

    with pytest.raises(LLMError) as info:
        await call(openai_client, LLMRequest("m", ASKED), stream=True)

    assert "ended before the model finished" in info.value.message and info.value.error_type == "llm_error"


@pytest.mark.parametrize(
    "body",
    [
        {"error": {"message": "the request exceeds the available context size", "code": 400}},
        {"object": "error", "message": "This model's maximum context length is 8192 tokens", "code": 400},
    ],
    ids=["error", "object"],
)
def test_a_200_body_that_is_an_error_is_reported_in_its_own_words(body):
    with pytest.raises(ReportedError, match="context"):
        oai.parse_completion(body, requested_model="m")
    with pytest.raises(ReportedError, match="context"):
        oai.StreamAssembler("m").feed(body)


async def test_a_stream_with_nothing_in_it_is_an_empty_reply_not_a_turn(fake_openai, openai_client):
    fake_openai.script(Reply(text="", stream_error="", stream_error_shape="cut"))  # a role chunk, then the end

    with pytest.raises(LLMEmptyResponseError):
        await call(openai_client, LLMRequest("m", ASKED), stream=True)


# ------------------------------------------------------------------------------------------- requests


async def test_tool_calls_go_back_with_empty_content_which_local_servers_accept(fake_openai, openai_client):
    fake_openai.refuse_null_content = True
    fake_openai.script(Reply(text="Sunny."))
    history = [
        *ASKED,
        ChatMessage("assistant", None, tool_calls=[ToolCall("call_a", "get_weather", json.dumps(PARIS))]),
        ChatMessage("tool", "Sunny, 21C", tool_call_id="call_a"),
    ]

    response = await openai_client.complete(weather_request(messages=history))

    assert response.content == "Sunny."
    assert fake_openai.last_request["messages"][1]["content"] == ""


async def test_the_request_without_streaming_is_sent_again_when_the_aborted_streams_connection_was_stale(
    fake_openai,
):
    fake_openai.refuse_tool_streaming = "abort"
    fake_openai.stale_after_abort = True
    fake_openai.script(Reply(text="Sunny."))
    client = OpenAIClient("sk-test", fake_openai.base_url, max_retries=0, timeout=10)  # no retry of the SDK's

    response, _ = await call(client, weather_request(), stream=True)
    await client.aclose()

    assert response.content == "Sunny."
    assert [bool(r.get("stream")) for r in fake_openai.requests] == [True, False, False]


def test_openais_own_api_still_gets_null_content_beside_tool_calls():
    message = ChatMessage("assistant", None, tool_calls=[ToolCall("c", "f", "{}")])
    official = oai.build_params(LLMRequest("gpt-4.1", [message]), official_api=True)
    assert official["messages"][0]["content"] is None
    assert oai.build_params(LLMRequest("gpt-4.1", [message]))["messages"][0]["content"] == ""


@pytest.mark.parametrize("refusal", ["status", "in_stream", "abort", "drop"])
async def test_a_server_that_cannot_stream_with_tools_is_asked_again_without_streaming(
    fake_openai, openai_client, refusal
):
    fake_openai.refuse_tool_streaming = refusal
    fake_openai.script(Reply(text="Checking.", tool_calls=[("get_weather", PARIS)]), Reply(text="Sunny."))

    response, recorder = await call(openai_client, weather_request(), stream=True)

    assert [(c.name, json.loads(c.arguments)) for c in response.tool_calls] == [("get_weather", PARIS)]
    assert recorder.texts("content") == ["Checking."]  # the listener still sees the answer, whole
    assert [(p.tool_name, json.loads(p.text)) for p in recorder.tool_pieces()] == [("get_weather", PARIS)]
    streamed = [bool(r.get("stream")) for r in fake_openai.requests]
    # Streamed (the SDK retries a dropped connection first), then once without streaming.
    assert streamed[-1] is False and all(streamed[:-1]) and len(streamed) <= 3

    # From then on that model is asked without streaming straight away.
    second, _ = await call(openai_client, weather_request(), stream=True)
    assert second.content == "Sunny." and [bool(r.get("stream")) for r in fake_openai.requests] == [*streamed, False]


# ------------------------------------------------------------------------------------------- what servers tell


async def test_a_server_that_describes_nothing_has_no_served_window(fake_openai, openai_client):
    assert await openai_client.served_context_window("gpt-4.1-mini") is None
    assert await openai_client.server_token_ratio("some text", 3) is None


async def test_llamacpp_tells_its_n_ctx_and_counts_with_its_own_tokenizer(fake_openai, openai_client):
    fake_openai.n_ctx = 8192

    assert await openai_client.served_context_window("gemma") == 8192
    assert await openai_client.server_token_ratio("twelve chars", 3) == 2.0  # the fake: a token per 2 characters
    assert fake_openai.tokenize_requests == [{"content": "twelve chars"}]


async def test_llama_cpp_python_counts_with_its_own_tokenizer_under_extras(fake_openai, openai_client):
    fake_openai.extras_tokenize = True

    assert await openai_client.served_context_window("gemma") is None  # it has no /props
    assert await openai_client.server_token_ratio("twelve chars", 3) == 2.0
    assert fake_openai.tokenize_requests == [{"input": "twelve chars"}]


async def test_vllm_tells_max_model_len_in_its_model_list(fake_openai, openai_client):
    fake_openai.models = ["Qwen/Qwen2.5-7B-Instruct"]
    fake_openai.model_extras = {"Qwen/Qwen2.5-7B-Instruct": {"max_model_len": 32768}}

    assert await openai_client.served_context_window("Qwen/Qwen2.5-7B-Instruct") == 32768


@pytest.mark.parametrize(
    "show, window",
    [
        ({"parameters": 'num_ctx                        16384\nstop "<eos>"', "model_info": {}}, 16384),
        ({"parameters": "", "model_info": {"gemma3.context_length": 32768}}, 4096),  # Ollama's default num_ctx
        ({"model_info": {"llama.context_length": 2048}}, 2048),
    ],
    ids=["num_ctx", "default", "small-model"],
)
async def test_ollama_tells_num_ctx_or_serves_its_default(fake_openai, openai_client, show, window):
    fake_openai.ollama_show = show

    assert await openai_client.served_context_window("gemma3:270m") == window
