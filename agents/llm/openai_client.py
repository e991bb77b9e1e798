"""OpenAI and every OpenAI-compatible server (Ollama, vLLM, LM Studio, llama.cpp, OpenRouter, ...)."""

from __future__ import annotations

from urllib.parse import urlsplit

import openai

from . import openai_format as fmt
from .base import SDKClient
from .errors import LLMError, body_message
from .types import LLMRequest, LLMResponse, ModelInfo

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
