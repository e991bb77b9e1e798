"""The interface every provider client implements, and the error funnel they share."""

from __future__ import annotations

import abc
import logging
import ssl
from collections.abc import Awaitable, Callable

import httpx2

from .errors import ErrorContext, LLMBadRequestError, LLMError
from .types import Delta, LLMRequest, LLMResponse, ModelInfo

log = logging.getLogger(__name__)

OnDelta = Callable[[Delta], Awaitable[None]]


class CallbackError(Exception):
    """Carries an exception raised by the caller's on_delta out of our SDK error mapping, untouched."""

    def __init__(self, original: BaseException) -> None:
        super().__init__(repr(original))
        self.original = original


def guard_callback(on_delta: OnDelta) -> OnDelta:
    async def forward(delta: Delta) -> None:
        try:
            await on_delta(delta)
        except Exception as exc:
            raise CallbackError(exc) from exc

    return forward


class LLMClient(abc.ABC):
    provider_type: str
    base_url: str
    errors: ErrorContext  # who we talk to, for error messages

    def __init__(self) -> None:
        self.closed = False

    async def complete(self, request: LLMRequest, on_delta: OnDelta | None = None) -> LLMResponse:
        """One model call. With on_delta, stream and await it for each piece, then return the whole response."""
        try:
            if on_delta is None:
                return await self._complete(request)
            return await self._stream(request, guard_callback(on_delta))
        except CallbackError as exc:
            raise exc.original from None
        except LLMError:
            raise
        except Exception as exc:
            raise self._translate_error(exc, request.model) from exc

    async def list_models(self) -> list[ModelInfo]:
        try:
            return await self._list_models()
        except LLMError:
            raise
        except Exception as exc:
            raise self._translate_error(exc, "") from exc

    async def embed(self, texts: list[str], model: str) -> list[list[float]]:
        """One vector per text, in order, from the provider's embeddings endpoint."""
        try:
            return await self._embed(texts, model)
        except LLMError:
            raise
        except Exception as exc:
            raise self._translate_error(exc, model) from exc

    async def aclose(self) -> None:
        self.closed = True
        await self._aclose()

    # ------------------------------------------------------------------ what each provider supplies

    @abc.abstractmethod
    async def _complete(self, request: LLMRequest) -> LLMResponse: ...

    @abc.abstractmethod
    async def _stream(self, request: LLMRequest, on_delta: OnDelta) -> LLMResponse: ...

    @abc.abstractmethod
    async def _list_models(self) -> list[ModelInfo]: ...

    @abc.abstractmethod
    async def _aclose(self) -> None: ...

    async def _embed(self, texts: list[str], model: str) -> list[list[float]]:
        raise LLMBadRequestError(
            f"{self.provider_name} ({self.base_url}) has no embeddings endpoint. Give the agent an embedding "
            "model from an OpenAI-compatible provider, e.g. 'openai/text-embedding-3-small'."
        )

    @abc.abstractmethod
    def _translate_sdk_error(self, exc: Exception, model: str) -> LLMError | None:
        """The LLMError for one of this SDK's exceptions, or None if it is not one."""

    def _translate_error(self, exc: Exception, model: str) -> LLMError:
        mapped = self._translate_sdk_error(exc, model)
        if mapped is not None:
            return mapped
        # Both SDKs let some transport failures through untranslated once a stream is being read.
        if isinstance(exc, httpx2.TimeoutException):
            return self.errors.timed_out()
        if isinstance(exc, (httpx2.TransportError, ssl.SSLError, OSError)):
            return self.errors.connection(exc)
        if isinstance(exc, (ValueError, TypeError, AttributeError, KeyError, IndexError)):
            # A body we could not make sense of (bad JSON, missing fields). Logged with its traceback
            # because the same exception types would also betray a bug of ours.
            log.warning("unreadable response from %s", self.base_url, exc_info=exc)
            return self.errors.invalid_response(f"{type(exc).__name__}: {exc}")
        log.error("unexpected error from the %s client", self.provider_type, exc_info=exc)
        return self.errors.unexpected(exc)
