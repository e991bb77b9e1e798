"""OpenAI and every OpenAI-compatible server (Ollama, vLLM, LM Studio, llama.cpp, OpenRouter, ...)."""

from __future__ import annotations

import logging
import re
from urllib.parse import urlsplit

import openai

from . import openai_format as fmt
from .base import OnDelta, SDKClient, is_empty
from .errors import LLMError, body_message, is_context_overflow
from .types import Delta, LLMRequest, LLMResponse, ModelInfo, ProviderCall

log = logging.getLogger(__name__)

# How servers word a refusal to stream with tools ("Automatic streaming tool choice is not supported",
# "streaming is not supported with tools", "tool calls in stream mode are not supported").
_STREAM_REFUSAL = re.compile(r"stream", re.IGNORECASE)

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
            # A stream with nothing at all in it, from a server offered tools: it failed before its first piece.
            if not (request.tools and is_empty(response)):
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
        return bool(_STREAM_REFUSAL.search(error.detail or "")) or call.events is not None

    async def _complete_for_stream(self, request: LLMRequest, on_delta: OnDelta, call: ProviderCall) -> LLMResponse:
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
