"""OpenAI and every OpenAI-compatible server (Ollama, vLLM, LM Studio, llama.cpp, OpenRouter, ...)."""

from __future__ import annotations

from urllib.parse import urlsplit

import openai

from . import openai_format as fmt
from .base import LLMClient, OnDelta
from .errors import ErrorContext, LLMError, body_message
from .types import LLMRequest, LLMResponse, ModelInfo

# Local servers need no key, but the SDK refuses to start without one.
PLACEHOLDER_KEY = "not-needed"

# Where compatible servers put a model's context window in GET /models.
_CONTEXT_KEYS = ("context_window", "context_length", "max_model_len", "max_context_length", "max_input_tokens")


class OpenAIClient(LLMClient):
    provider_type = "openai"

    def __init__(
        self,
        api_key: str | None,
        base_url: str | None = None,
        *,
        max_retries: int = 3,
        timeout: float = 600.0,
        provider_name: str = "openai",
    ) -> None:
        super().__init__()
        self._client = openai.AsyncOpenAI(
            api_key=api_key or PLACEHOLDER_KEY,
            base_url=base_url,
            max_retries=max_retries,
            # A dead host should fail in seconds, not after the whole read timeout.
            timeout=openai.Timeout(timeout, connect=min(timeout, 10.0)),
        )
        self.provider_name = provider_name
        self.base_url = str(self._client.base_url).rstrip("/")
        self._official = urlsplit(self.base_url).hostname == fmt.OPENAI_HOST
        self.errors = ErrorContext(provider_name, self.base_url, max_retries=max_retries, timeout=timeout)

    # Requests go through the SDK's low-level post (its retries, errors and SSE parsing) with plain dicts:
    # the typed `chat.completions.create` walks every message through its TypedDict transform and builds a
    # pydantic model per chunk, which costs several milliseconds per step on a long context.
    async def _complete(self, request: LLMRequest) -> LLMResponse:
        completion = await self._client.post("/chat/completions", body=self._params(request), cast_to=object)
        return fmt.parse_completion(_as_dict(completion), requested_model=request.model)

    async def _stream(self, request: LLMRequest, on_delta: OnDelta) -> LLMResponse:
        assembler = fmt.StreamAssembler(request.model)
        body = {**self._params(request), **fmt.STREAM_FLAGS}
        stream = await self._client.post(
            "/chat/completions", body=body, cast_to=object, stream=True, stream_cls=openai.AsyncStream[object]
        )
        async with stream:
            async for chunk in stream:
                for delta in assembler.feed(_as_dict(chunk)):
                    await on_delta(delta)
        return assembler.result()

    async def _embed(self, texts: list[str], model: str) -> list[list[float]]:
        body = {"model": model, "input": texts, "encoding_format": "float"}
        response = _as_dict(await self._client.post("/embeddings", body=body, cast_to=object))
        return [item["embedding"] for item in sorted(response["data"], key=lambda item: item["index"])]

    async def _list_models(self) -> list[ModelInfo]:
        models = []
        async for model in self._client.models.list():
            extra = _as_dict(model)
            window = next((extra[k] for k in _CONTEXT_KEYS if isinstance(extra.get(k), int)), None)
            display = extra.get("display_name") or extra.get("name")
            models.append(
                ModelInfo(
                    name=extra["id"], context_window=window, display_name=display if isinstance(display, str) else None
                )
            )
        return models

    async def _aclose(self) -> None:
        await self._client.close()

    def _params(self, request: LLMRequest) -> dict:
        return fmt.build_params(request, official_api=self._official)

    def _translate_sdk_error(self, exc: Exception, model: str) -> LLMError | None:
        if isinstance(exc, openai.APITimeoutError):
            return self.errors.timed_out()
        if isinstance(exc, openai.APIConnectionError):
            return self.errors.connection(exc.__cause__ or exc)
        if isinstance(exc, openai.APIResponseValidationError):
            return self.errors.invalid_response(exc.message)
        if isinstance(exc, openai.APIStatusError):
            detail = body_message(exc.body) or exc.message
            return self.errors.status(exc.status_code, detail, model=model, code=exc.code or exc.type)
        if isinstance(exc, openai.APIError):  # an error event inside a stream that had started
            return self.errors.stream_error(body_message(exc.body) or exc.message, model=model)
        if isinstance(exc, openai.OpenAIError):
            return self.errors.invalid_response(str(exc))
        return None


def _as_dict(model: object) -> dict:
    """What the server sent, as plain JSON; a non-JSON body reaches us as a str."""
    if isinstance(model, dict):
        return model
    if isinstance(model, openai.BaseModel):
        return model.to_dict(mode="json")
    raise ValueError(f"expected a JSON object, got {type(model).__name__}: {str(model)[:200]!r}")
