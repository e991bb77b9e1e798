"""Anthropic's Messages API (and servers that speak it)."""

from __future__ import annotations

import anthropic

from . import anthropic_format as fmt
from .base import LLMClient, OnDelta
from .errors import ErrorContext, LLMError, body_message
from .types import LLMRequest, LLMResponse, ModelInfo

# Without a key the SDK goes hunting for credential files; let the server answer 401 instead.
PLACEHOLDER_KEY = "not-needed"

# Anthropic names the kind of error in the body; a stream that fails midway has no HTTP status to go by.
_STATUS_OF_TYPE = {
    "invalid_request_error": 400,
    "authentication_error": 401,
    "permission_error": 403,
    "not_found_error": 404,
    "request_too_large": 413,
    "rate_limit_error": 429,
    "api_error": 500,
    "overloaded_error": 529,
    "timeout_error": 504,
}


class AnthropicClient(LLMClient):
    provider_type = "anthropic"

    def __init__(
        self,
        api_key: str | None,
        base_url: str | None = None,
        *,
        max_retries: int = 3,
        timeout: float = 600.0,
        provider_name: str = "anthropic",
    ) -> None:
        super().__init__()
        self._client = anthropic.AsyncAnthropic(
            api_key=api_key or PLACEHOLDER_KEY,
            base_url=base_url,
            max_retries=max_retries,
            timeout=anthropic.Timeout(timeout, connect=min(timeout, 10.0)),
        )
        self.provider_name = provider_name
        self.base_url = str(self._client.base_url).rstrip("/")
        self.errors = ErrorContext(
            provider_name, self.base_url, max_retries=max_retries, timeout=timeout, protocol="Anthropic"
        )

    # Plain dicts through the SDK's low-level post (its retries, errors and SSE parsing): the typed
    # `messages.create` transforms every block and builds a pydantic model per event, milliseconds per step.
    async def _complete(self, request: LLMRequest) -> LLMResponse:
        message = await self._client.post("/v1/messages", body=fmt.build_params(request), cast_to=object)
        return fmt.parse_message(_as_dict(message), requested_model=request.model)

    async def _stream(self, request: LLMRequest, on_delta: OnDelta) -> LLMResponse:
        assembler = fmt.StreamAssembler(request.model)
        stream = await self._client.post(
            "/v1/messages",
            body={**fmt.build_params(request), **fmt.STREAM_FLAGS},
            cast_to=object,
            stream=True,
            stream_cls=anthropic.AsyncStream[object],
        )
        async with stream:
            async for event in stream:
                for delta in assembler.feed(_as_dict(event)):
                    await on_delta(delta)
        return assembler.result()

    async def _list_models(self) -> list[ModelInfo]:
        models = []
        async for model in self._client.models.list():
            data = _as_dict(model)
            models.append(
                ModelInfo(
                    name=data["id"], context_window=data.get("max_input_tokens"), display_name=data.get("display_name")
                )
            )
        return models

    async def _aclose(self) -> None:
        await self._client.close()

    def _translate_sdk_error(self, exc: Exception, model: str) -> LLMError | None:
        if isinstance(exc, anthropic.APITimeoutError):
            return self.errors.timed_out()
        if isinstance(exc, anthropic.APIConnectionError):
            return self.errors.connection(exc.__cause__ or exc)
        if isinstance(exc, anthropic.APIResponseValidationError):
            return self.errors.invalid_response(exc.message)
        if isinstance(exc, anthropic.APIStatusError):
            detail = exc.api_message or body_message(exc.body) or exc.message
            status = exc.status_code
            if status < 400:  # an error event inside a stream that had started with 200
                status = _STATUS_OF_TYPE.get(exc.type or "", 500)
            return self.errors.status(status, detail, model=model, code=exc.error_code or exc.type)
        if isinstance(exc, anthropic.AnthropicError):
            return self.errors.invalid_response(str(exc))
        return None


def _as_dict(model: object) -> dict:
    """What the server sent, as plain JSON; a non-JSON body reaches us as a str."""
    if isinstance(model, dict):
        return model
    if isinstance(model, anthropic.BaseModel):
        return model.to_dict(mode="json")
    raise ValueError(f"expected a JSON object, got {type(model).__name__}: {str(model)[:200]!r}")
