"""Error wording and classification, model handles, client construction: no server needed."""

from __future__ import annotations

import pytest

from agents.llm import (
    AnthropicClient,
    LLMAuthenticationError,
    LLMBadRequestError,
    LLMContextWindowExceededError,
    LLMNotFoundError,
    LLMRateLimitError,
    LLMServerError,
    LLMTimeoutError,
    OpenAIClient,
    make_client,
    parse_handle,
)
from agents.llm.errors import ErrorContext, body_message, is_context_overflow, provider_label
from agents.llm.factory import clear_client_cache


@pytest.mark.parametrize(
    "text",
    [
        # OpenAI, vLLM
        "This model's maximum context length is 8192 tokens. However, your messages resulted in 9000 tokens.",
        "The prompt (total length 5000) is too long to fit into the model (context length 4096).",  # vLLM
        "the request exceeds the available context size, try increasing it",  # llama.cpp
        "prompt too long; exceeded max context length by 12 tokens",  # Ollama
        "Trying to keep the first 5000 tokens when context the overflows. However, the model is loaded with "
        "context length of only 4096 tokens",  # LM Studio
        "prompt is too long: 210000 tokens > 200000 maximum",  # Anthropic
        "input length and `max_tokens` exceed context limit: 199000 + 4096 > 200000",  # Anthropic
        "The input token count (1200000) exceeds the maximum number of tokens allowed (1048576).",  # Google
        "Input validation error: `inputs` tokens + `max_new_tokens` must be <= 4097.",  # Together / TGI
        "Please reduce the length of the messages or completion.",  # Groq
    ],
)
def test_context_overflow_phrasings(text):
    assert is_context_overflow(text)


@pytest.mark.parametrize("text", ["Invalid request.", "messages: roles must alternate", None, ""])
def test_other_bad_requests_are_not_overflow(text):
    assert not is_context_overflow(text)


def test_body_message_shapes():
    assert body_message({"message": "m", "type": "t"}) == "m"  # OpenAI SDK passes the inner error object
    assert body_message({"type": "error", "error": {"type": "x", "message": "inner"}}) == "inner"
    assert body_message({"error": "model 'x' not found"}) == "model 'x' not found"  # Ollama
    assert body_message({"detail": "Not Found"}) == "Not Found"
    assert body_message("plain text") == "plain text"
    assert body_message(None) is None


def test_provider_labels():
    assert provider_label("openai", "https://api.openai.com/v1") == "OpenAI"
    assert provider_label("openai", "http://127.0.0.1:11434/v1") == "the OpenAI-compatible server"
    assert provider_label("ollama", "http://127.0.0.1:11434/v1") == "Ollama"
    assert provider_label("anthropic", "http://127.0.0.1:9", "Anthropic") == "the Anthropic-compatible server"
    assert provider_label("mylab", "http://gpu:8000/v1") == "the OpenAI-compatible server 'mylab'"


CTX = ErrorContext("openai", "https://api.openai.com/v1", max_retries=2, timeout=30)


@pytest.mark.parametrize(
    "status, cls",
    [
        (400, LLMBadRequestError),
        (401, LLMAuthenticationError),
        (403, LLMAuthenticationError),
        (404, LLMNotFoundError),
        (408, LLMTimeoutError),
        (413, LLMBadRequestError),
        (422, LLMBadRequestError),
        (429, LLMRateLimitError),
        (500, LLMServerError),
        (502, LLMServerError),
        (504, LLMTimeoutError),
        (529, LLMServerError),
        (402, LLMServerError),
    ],
)
def test_status_mapping(status, cls):
    error = CTX.status(status, "why", model="gpt-x")
    assert type(error) is cls
    assert "https://api.openai.com/v1" in error.message and error.detail == "why"


def test_messages_name_provider_url_and_fix():
    auth = CTX.status(401, "Incorrect API key", model="gpt-x")
    assert auth.message == (
        "OpenAI rejected the API key (401) at https://api.openai.com/v1: set OPENAI_API_KEY or the provider's api_key."
    )
    assert (auth.error_type, auth.status_code) == ("llm_authentication", 401)
    quota = CTX.status(429, "You exceeded your current quota", model="gpt-x", code="insufficient_quota")
    assert "quota" in quota.message and "after 2 retries" in quota.message
    overflow = CTX.status(400, "too long", model="gpt-x", code="context_length_exceeded")
    assert isinstance(overflow, LLMContextWindowExceededError) and isinstance(overflow, LLMBadRequestError)
    assert (overflow.error_type, overflow.status_code) == ("llm_context_window_exceeded", 400)
    assert "gpt-x" in overflow.message and "context window" in overflow.message
    missing = CTX.status(404, None, model="gpt-x")
    assert "'gpt-x'" in missing.message and missing.error_type == "llm_not_found"
    assert CTX.timed_out().error_type == "llm_timeout" and "30 s" in CTX.timed_out().message


# ------------------------------------------------------------------------------------------- handles, factory


@pytest.mark.parametrize(
    "handle, parsed",
    [
        ("openai/gpt-4.1-mini", ("openai", "gpt-4.1-mini")),
        ("ollama/qwen2.5:7b", ("ollama", "qwen2.5:7b")),
        ("openrouter/meta-llama/llama-3", ("openrouter", "meta-llama/llama-3")),
    ],
)
def test_parse_handle(handle, parsed):
    assert parse_handle(handle) == parsed


@pytest.mark.parametrize("handle", ["gpt-4.1-mini", "", "/gpt", "openai/"])
def test_parse_handle_needs_provider_and_model(handle):
    with pytest.raises(ValueError, match="provider/model"):
        parse_handle(handle)


def test_make_client_picks_the_sdk_by_provider_type():
    anthropic = make_client("anthropic", api_key="k", base_url="http://127.0.0.1:9")
    assert isinstance(anthropic, AnthropicClient) and anthropic.provider_type == "anthropic"
    assert anthropic.base_url == "http://127.0.0.1:9"
    for kind in (
        "openai",
        "ollama",
        "vllm",
        "lmstudio",
        "openrouter",
        "together",
        "groq",
        "google_ai",
        "openai_compatible",
    ):
        client = make_client(kind, api_key=None, base_url="http://127.0.0.1:9/v1")
        assert isinstance(client, OpenAIClient) and client.base_url == "http://127.0.0.1:9/v1"
        assert client.provider_name == kind


def test_make_client_defaults_and_needs():
    assert make_client("ollama", api_key=None, base_url=None).base_url == "http://127.0.0.1:11434/v1"
    with pytest.raises(ValueError, match="VLLM_BASE_URL"):
        make_client("vllm", api_key=None, base_url=None)


@pytest.mark.asyncio
async def test_make_client_reuses_clients_within_an_event_loop():
    clear_client_cache()
    first = make_client("openai", api_key="k", base_url="http://127.0.0.1:9/v1", provider_name="local")
    assert make_client("openai", api_key="k", base_url="http://127.0.0.1:9/v1", provider_name="local") is first
    assert make_client("openai", api_key="other", base_url="http://127.0.0.1:9/v1") is not first
    await first.aclose()
    assert make_client("openai", api_key="k", base_url="http://127.0.0.1:9/v1", provider_name="local") is not first


# ------------------------------------------------------------------------------------------- SDK exceptions


def test_errors_reported_inside_a_started_stream():
    import anthropic
    import httpx2
    import openai

    from agents.llm import LLMConnectionError

    oai = OpenAIClient("k", "http://127.0.0.1:9/v1")
    req = httpx2.Request("POST", "http://127.0.0.1:9/v1/chat/completions")
    overflow = openai.APIError("boom", req, body={"message": "This model's maximum context length is 4096 tokens"})
    assert isinstance(oai._translate_error(overflow, "m"), LLMContextWindowExceededError)
    other = oai._translate_error(openai.APIError("x", req, body={"message": "engine crashed"}), "m")
    assert type(other) is LLMServerError and "failed mid-response: engine crashed" in other.message

    claude = AnthropicClient("k", "http://127.0.0.1:9")
    ok = httpx2.Response(200, request=httpx2.Request("POST", "http://127.0.0.1:9/v1/messages"))

    def event(kind, message):
        body = {"type": "error", "error": {"type": kind, "message": message}}
        return anthropic.APIStatusError(str(body), response=ok, body=body)

    assert type(claude._translate_error(event("overloaded_error", "Overloaded"), "m")) is LLMServerError
    assert type(claude._translate_error(event("rate_limit_error", "slow down"), "m")) is LLMRateLimitError
    assert isinstance(
        claude._translate_error(event("invalid_request_error", "prompt is too long: 9 > 8"), "m"),
        LLMContextWindowExceededError,
    )
    # The Anthropic SDK lets transport errors out of a stream it is reading.
    assert isinstance(claude._translate_error(httpx2.ReadError("reset", request=ok.request), "m"), LLMConnectionError)
    assert isinstance(claude._translate_error(httpx2.ReadTimeout("slow", request=ok.request), "m"), LLMTimeoutError)
