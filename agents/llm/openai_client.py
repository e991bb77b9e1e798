"""OpenAI and every OpenAI-compatible server (Ollama, vLLM, LM Studio, llama.cpp, OpenRouter, ...)."""

from __future__ import annotations

import logging
import re
from urllib.parse import urlsplit

import openai

from . import openai_format as fmt
from .base import OnDelta, SDKClient
from .errors import LLMError, body_message, connection_reason, is_context_overflow
from .types import Delta, LLMRequest, LLMResponse, ModelInfo, ProviderCall

log = logging.getLogger(__name__)

# How servers word a refusal to stream with tools ("Automatic streaming tool choice is not supported",
# "streaming is not supported with tools", "tool calls in stream mode are not supported").
_STREAM_REFUSAL = re.compile(r"\bstream(s|ed|ing)?\b", re.IGNORECASE)
# Connection failures that say the server is not there at all (not one that dropped a request it took).
_NOT_THERE = ("connection refused", "host name not found")
# Asking a server about itself must not hold up a run for long; a server that cannot tell is simply not asked.
PROBE_TIMEOUT_SECONDS = 5.0
# What Ollama serves a model with when its parameters set no num_ctx.
OLLAMA_DEFAULT_NUM_CTX = 4096

# Where compatible servers put a model's context window in GET /models.
_CONTEXT_KEYS = ("context_window", "context_length", "max_model_len", "max_context_length", "max_input_tokens")


class OpenAIClient(SDKClient):
    provider_type = "openai"
    sdk = openai
    sdk_client = openai.AsyncOpenAI
    sdk_error = openai.OpenAIError
    protocol = "OpenAI"
    path = "/chat/completions"
    fmt = fmt

    def __init__(self, api_key: str | None, base_url: str | None = None, **options) -> None:
        super().__init__(api_key, base_url, **options)
        self._official = urlsplit(self.base_url).hostname == fmt.OPENAI_HOST
        # Models whose server refused (or failed) a streamed request with tools: asked without streaming since.
        self.no_tool_streaming: set[str] = set()

    async def _stream(self, request: LLMRequest, on_delta: OnDelta, call: ProviderCall) -> LLMResponse:
        """Streamed, unless the server cannot stream with tools: then once without streaming, the answer handed
        to on_delta whole, and this model asked without streaming from then on."""
        if request.tools and request.model in self.no_tool_streaming:
            return await self._complete_for_stream(request, on_delta, call)
        try:
            response = await super()._stream(request, on_delta, call)
        except Exception as exc:
            if not (request.tools and call.first_piece_ns is None and self._refused_streaming(exc, call, request)):
                raise
        else:
            # A 200 stream with no event at all, from a server offered tools: it failed before its first piece.
            # (An empty answer the server did send is the model's, not streaming's.)
            if not (request.tools and not call.events):
                return response
        log.warning("%s refused a streamed request with tools; asking without streaming", self.base_url)
        self.no_tool_streaming.add(request.model)
        call.events = None
        return await self._complete_for_stream(request, on_delta, call)

    def _refused_streaming(self, exc: Exception, call: ProviderCall, request: LLMRequest) -> bool:
        """Whether a streamed call that failed before its first piece failed for streaming itself: the server
        said so, or it opened the stream and then died with nothing in it (llama-cpp-python raises inside it)."""
        error = self._translate_error(exc, request.model)
        words = f"{error.message} {error.detail or ''}"
        if is_context_overflow(words) or isinstance(exc, openai.APITimeoutError):
            return False
        # llama-cpp-python may also drop the connection before its 200 headers when it fails inside the stream:
        # asked without streaming, it answers the error in words (a context overflow the loop can act on).
        dropped = isinstance(exc, openai.APIConnectionError) and connection_reason(exc) not in _NOT_THERE
        return bool(_STREAM_REFUSAL.search(error.detail or "")) or call.events is not None or dropped

    async def _complete_for_stream(self, request: LLMRequest, on_delta: OnDelta, call: ProviderCall) -> LLMResponse:
        try:
            response = await self._complete(request, call)
        except openai.APIConnectionError as exc:
            # A server that died inside the stream (llama-cpp-python on an overflow) closed its connection after
            # ending the body, and the pool may hand that connection out again: once more, on a new one.
            if connection_reason(exc) in _NOT_THERE:
                raise
            response = await self._complete(request, call)
        for kind, text in (("reasoning", response.reasoning), ("content", response.content)):
            if text:
                await on_delta(Delta(kind, text))
        for index, tool_call in enumerate(response.tool_calls):
            await on_delta(Delta("tool_call", tool_call.arguments, index, tool_call.id, tool_call.name))
        return response

    def _params(self, request: LLMRequest) -> dict:
        return fmt.build_params(request, official_api=self._official)

    def _parse(self, data: dict, requested_model: str) -> LLMResponse:
        return fmt.parse_completion(data, requested_model=requested_model)

    async def served_context_window(self, model: str) -> int | None:
        """The context window the server really serves `model` with, where it can tell: llama.cpp's server
        (GET /props: n_ctx), a model list entry (vLLM's max_model_len, ...), Ollama (POST /api/show: num_ctx,
        else its default of 4096 within the model's own context_length). None when it cannot."""
        for ask in (self._llamacpp_window, self._listed_window, self._ollama_window):
            try:
                window = await ask(model)
            except Exception as exc:  # not this kind of server; the next may be
                log.debug("%s: %s did not say a context window: %s", self.base_url, ask.__name__, exc)
                continue
            if isinstance(window, int) and window > 0:
                return window
        return None

    async def server_token_ratio(self, sample: str, our_count: int) -> float | None:
        """How many tokens the server's own tokenizer makes of `sample` per token we count for it, or None when it
        has no tokenizer endpoint. llama.cpp's server: POST /tokenize {"content"}; llama-cpp-python's:
        POST /extras/tokenize {"input"}."""
        for path, field in (("/tokenize", "content"), ("/extras/tokenize", "input")):
            try:
                answer = await self._probe("POST", self._root + path, {field: sample})
            except Exception:  # not this kind of server; the next may be
                continue
            tokens = answer.get("tokens")
            if isinstance(tokens, list) and tokens:
                return len(tokens) / max(1, our_count)
        return None

    @property
    def _root(self) -> str:
        # llama.cpp and Ollama serve their own endpoints beside /v1, not under it.
        return self.base_url.removesuffix("/v1")

    async def _probe(self, method: str, url: str, body: dict | None = None) -> dict:
        options = {"timeout": PROBE_TIMEOUT_SECONDS, "max_retries": 0}
        if method == "GET":
            answer = await self._client.get(url, cast_to=object, options=options)
        else:
            answer = await self._client.post(url, body=body, cast_to=object, options=options)
        return self._as_dict(answer)

    async def _llamacpp_window(self, model: str) -> int | None:
        props = await self._probe("GET", self._root + "/props")
        return (props.get("default_generation_settings") or {}).get("n_ctx")

    async def _listed_window(self, model: str) -> int | None:
        for entry in (await self._probe("GET", self.base_url + "/models")).get("data") or []:
            if isinstance(entry, dict) and entry.get("id") == model:
                return self._model_info(entry).context_window
        return None

    async def _ollama_window(self, model: str) -> int | None:
        shown = await self._probe("POST", self._root + "/api/show", {"model": model})
        for line in str(shown.get("parameters") or "").splitlines():  # "num_ctx                        8192"
            words = line.split()
            if len(words) == 2 and words[0] == "num_ctx" and words[1].isdigit():
                return int(words[1])
        trained = [v for k, v in (shown.get("model_info") or {}).items() if k.endswith(".context_length")]
        return min([OLLAMA_DEFAULT_NUM_CTX, *trained]) if shown.get("model_info") is not None else None

    async def _embed(self, texts: list[str], model: str) -> list[list[float]]:
        response = await self._post("/embeddings", {"model": model, "input": texts, "encoding_format": "float"})
        return [item["embedding"] for item in sorted(response["data"], key=lambda item: item["index"])]

    def _model_info(self, data: dict) -> ModelInfo:
        window = next((data[k] for k in _CONTEXT_KEYS if isinstance(data.get(k), int)), None)
        display = data.get("display_name") or data.get("name")
        return ModelInfo(
            name=data["id"], context_window=window, display_name=display if isinstance(display, str) else None
        )

    def _status_error(self, exc: openai.APIStatusError, model: str) -> LLMError:
        detail = body_message(exc.body) or exc.message
        return self.errors.status(exc.status_code, detail, model=model, code=exc.code or exc.type)

    def _api_error(self, exc: openai.APIError, model: str) -> LLMError:
        # An error event inside a stream that had started.
        return self.errors.stream_error(body_message(exc.body) or exc.message, model=model)
