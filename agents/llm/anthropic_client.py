"""Anthropic's Messages API (and servers that speak it)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import anthropic_format as fmt
from .base import SDKClient
from .errors import LLMError, body_message
from .types import LLMRequest, LLMResponse, ModelInfo

if TYPE_CHECKING:
    import anthropic

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


class AnthropicClient(SDKClient):
    provider_type = "anthropic"

    # The SDK is imported on first use (a client built, an error read): it costs ~50 MiB resident, and a server
    # that never calls Anthropic should not carry it.
    @property
    def sdk(self):
        import anthropic

        return anthropic

    @property
    def sdk_client(self) -> type:
        return self.sdk.AsyncAnthropic

    @property
    def sdk_error(self) -> type[Exception]:
        return self.sdk.AnthropicError

    protocol = "Anthropic"
    path = "/v1/messages"
    fmt = fmt

    def _params(self, request: LLMRequest) -> dict:
        return fmt.build_params(request)

    def _parse(self, data: dict, requested_model: str) -> LLMResponse:
        return fmt.parse_message(data, requested_model=requested_model)

    def _model_info(self, data: dict) -> ModelInfo:
        return ModelInfo(
            name=data["id"], context_window=data.get("max_input_tokens"), display_name=data.get("display_name")
        )

    def _status_error(self, exc: anthropic.APIStatusError, model: str) -> LLMError:
        detail = exc.api_message or body_message(exc.body) or exc.message
        status = exc.status_code
        if status < 400:  # an error event inside a stream that had started with 200
            status = _STATUS_OF_TYPE.get(exc.type or "", 500)
        return self.errors.status(status, detail, model=model, code=exc.error_code or exc.type)
