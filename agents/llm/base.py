"""The interface every provider client implements, the error funnel they share, and the plumbing common to
the two SDKs we speak through (openai and anthropic are generated from one template, so they share their shape)."""

from __future__ import annotations

import abc
import logging
import ssl
import time
from collections.abc import Awaitable, Callable
from types import ModuleType
from typing import Any

import httpx2

from .errors import ErrorContext, LLMBadRequestError, LLMError, UnusableReply, empty_response
from .types import Delta, LLMRequest, LLMResponse, ModelInfo, ProviderCall

# Without a key the SDKs refuse to start (OpenAI) or go hunting for credential files (Anthropic); local servers
# need none, and a server that does answers 401 for this one.
PLACEHOLDER_KEY = "not-needed"

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


def is_empty(response: LLMResponse) -> bool:
    """No text, no reasoning and no tool call: a stream without choices, or a message with nothing in it."""
    return not response.tool_calls and not (response.content or "").strip() and not response.reasoning


class LLMClient(abc.ABC):
    provider_type: str
    base_url: str
    errors: ErrorContext  # who we talk to, for error messages

    def __init__(self) -> None:
        self.closed = False

    async def complete(
        self, request: LLMRequest, on_delta: OnDelta | None = None, *, call: ProviderCall | None = None
    ) -> LLMResponse:
        """One model call. With on_delta, stream and await it for each piece, then return the whole response.

        What went over the wire is recorded in `call` (a fresh ProviderCall unless the caller passes its own) and
        attached to the response, or to the LLMError raised, as `.trace`. An answer with nothing in it is an
        error: stored as a turn, it would be resent in every later request."""
        call = call if call is not None else ProviderCall()
        call.provider_type, call.endpoint = self.provider_type, self.base_url
        call.started_ns = time.monotonic_ns()
        try:
            if on_delta is None:
                response = await self._complete(request, call)
            else:
                response = await self._stream(request, guard_callback(on_delta), call)
            if is_empty(response):
                raise empty_response(request.model, response.finish_reason)
        except CallbackError as exc:
            raise exc.original from None
        except LLMError as exc:
            self._failed(call, exc, exc)
            raise
        except Exception as exc:
            raise self._failed(call, exc, self._translate_error(exc, request.model)) from exc
        finally:
            call.ended_ns = time.monotonic_ns()
        response.trace = call
        return response

    @staticmethod
    def _failed(call: ProviderCall, exc: Exception, error: LLMError) -> LLMError:
        """Record the failure in the call (the provider's status and error body, if it sent one) and attach it."""
        call.error = {
            "status": getattr(exc, "status_code", None),
            "type": error.error_type,
            "message": error.message,
            "body": getattr(exc, "body", None),
        }
        error.trace = call
        return error

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
    async def _complete(self, request: LLMRequest, call: ProviderCall) -> LLMResponse:
        """The whole answer; fills in call.endpoint, call.request and call.response."""

    @abc.abstractmethod
    async def _stream(self, request: LLMRequest, on_delta: OnDelta, call: ProviderCall) -> LLMResponse:
        """The streamed answer; fills in call.endpoint, call.request, call.events and call.first_piece_ns."""

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
        if isinstance(exc, UnusableReply):
            return self.errors.unusable_reply(exc, model=model)
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


class SDKClient(LLMClient):
    """A client over the openai or anthropic SDK: built the same way, posting plain dicts, reading plain JSON.

    Requests go through the SDK's low-level post (its retries, errors and SSE parsing) with plain dicts: the
    typed `create` methods walk every message through a TypedDict transform and build a pydantic model per
    event, which costs milliseconds per step on a long context. A subclass names its SDK, the path it posts
    to and its wire format; it builds the request body and reads the whole answer.
    """

    sdk: ModuleType  # the openai or anthropic module
    sdk_client: type  # its Async* client class
    sdk_error: type[Exception]  # the root of its exceptions
    protocol: str  # named in error messages when the provider's own name does not say it
    path: str  # where model calls are posted
    fmt: ModuleType  # the wire format: StreamAssembler, STREAM_FLAGS

    def __init__(
        self,
        api_key: str | None,
        base_url: str | None = None,
        *,
        max_retries: int = 3,
        timeout: float = 600.0,
        provider_name: str | None = None,
        follow_redirects: bool = True,
    ) -> None:
        super().__init__()
        # A user's provider (follow_redirects=False) is held to the outbound policy: each request goes to an address
        # checked for its host (no DNS rebinding), and a redirect elsewhere (to a metadata address) is answered as
        # the error it is, not followed.
        http = {} if follow_redirects else {"http_client": self._checked_http_client()}
        self._client = self.sdk_client(
            api_key=api_key or PLACEHOLDER_KEY,
            base_url=base_url,
            max_retries=max_retries,
            # A dead host should fail in seconds, not after the whole read timeout.
            timeout=self.sdk.Timeout(timeout, connect=min(timeout, 10.0)),
            **http,
        )
        self.provider_name = provider_name or self.provider_type
        self.base_url = str(self._client.base_url).rstrip("/")
        self.errors = ErrorContext(
            self.provider_name, self.base_url, max_retries=max_retries, timeout=timeout, protocol=self.protocol
        )

    def _checked_http_client(self):
        # agents/llm stands apart from Django and the project: only a user's provider needs the project's policy.
        from letta_project.outbound import CheckedTransport

        return self.sdk.DefaultAsyncHttpxClient(follow_redirects=False, transport=CheckedTransport(http=httpx2))

    @abc.abstractmethod
    def _params(self, request: LLMRequest) -> dict:
        """The request body for one model call."""

    @abc.abstractmethod
    def _parse(self, data: dict, requested_model: str) -> LLMResponse:
        """The whole (not streamed) answer to one model call."""

    async def _post(self, path: str, body: dict) -> dict:
        return self._as_dict(await self._client.post(path, body=body, cast_to=object))

    async def _complete(self, request: LLMRequest, call: ProviderCall) -> LLMResponse:
        call.endpoint, call.request = self.base_url + self.path, self._params(request)
        call.response = await self._post(self.path, call.request)
        return self._parse(call.response, request.model)

    async def _stream(self, request: LLMRequest, on_delta: OnDelta, call: ProviderCall) -> LLMResponse:
        assembler = self.fmt.StreamAssembler(request.model)
        call.endpoint, call.request = self.base_url + self.path, {**self._params(request), **self.fmt.STREAM_FLAGS}
        stream = await self._client.post(
            self.path, body=call.request, cast_to=object, stream=True, stream_cls=self.sdk.AsyncStream[object]
        )
        call.events = events = []  # from here on the server has answered 200 and the stream is open
        async with stream:
            async for event in stream:
                data = self._as_dict(event)
                events.append(data)  # by reference: the assembler only reads it
                for delta in assembler.feed(data):
                    if call.first_piece_ns is None:
                        call.first_piece_ns = time.monotonic_ns()
                    await on_delta(delta)
        return assembler.result()

    async def _list_models(self) -> list[ModelInfo]:
        return [self._model_info(self._as_dict(model)) async for model in self._client.models.list()]

    @abc.abstractmethod
    def _model_info(self, data: dict) -> ModelInfo:
        """One entry of GET /models."""

    async def _aclose(self) -> None:
        await self._client.close()

    def _as_dict(self, model: object) -> dict:
        """What the server sent, as plain JSON; a non-JSON body reaches us as a str."""
        if isinstance(model, dict):
            return model
        if isinstance(model, self.sdk.BaseModel):
            return model.to_dict(mode="json")
        raise ValueError(f"expected a JSON object, got {type(model).__name__}: {str(model)[:200]!r}")

    def _translate_sdk_error(self, exc: Exception, model: str) -> LLMError | None:
        sdk = self.sdk
        if isinstance(exc, sdk.APITimeoutError):
            return self.errors.timed_out()
        if isinstance(exc, sdk.APIConnectionError):
            return self.errors.connection(exc.__cause__ or exc)
        if isinstance(exc, sdk.APIResponseValidationError):
            return self.errors.invalid_response(exc.message)
        if isinstance(exc, sdk.APIStatusError):
            return self._status_error(exc, model)
        if isinstance(exc, sdk.APIError) and (mapped := self._api_error(exc, model)) is not None:
            return mapped
        if isinstance(exc, self.sdk_error):
            return self.errors.invalid_response(str(exc))
        return None

    @abc.abstractmethod
    def _status_error(self, exc: Any, model: str) -> LLMError:
        """The LLMError for the SDK's APIStatusError: the provider answered with an error."""

    def _api_error(self, exc: Any, model: str) -> LLMError | None:
        """The LLMError for an APIError without a status, if this SDK raises one worth reading."""
        return None
