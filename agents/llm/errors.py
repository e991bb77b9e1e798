"""What can go wrong talking to a provider, worded for the person who has to fix it.

Each error carries the HTTP status our own API should answer with. The builders at the bottom are shared
by the clients, which only pull the status and the provider's own words out of their SDK's exceptions.
"""

from __future__ import annotations

import re
import socket
import ssl
from urllib.parse import urlsplit


class LLMError(Exception):
    error_type: str = "llm_error"
    status_code: int = 500

    def __init__(self, message: str, *, detail: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail
        self.trace = None  # the ProviderCall that failed, when the error came from a model call


class LLMAuthenticationError(LLMError):
    error_type, status_code = "llm_authentication", 401


class LLMRateLimitError(LLMError):
    error_type, status_code = "llm_rate_limit", 429


class LLMTimeoutError(LLMError):
    error_type, status_code = "llm_timeout", 504


class LLMBadRequestError(LLMError):
    error_type, status_code = "llm_bad_request", 400


class LLMContextWindowExceededError(LLMBadRequestError):
    error_type, status_code = "llm_context_window_exceeded", 400


class LLMConnectionError(LLMError):
    error_type, status_code = "llm_connection_error", 502


class LLMServerError(LLMError):
    error_type, status_code = "llm_error", 500


class LLMNotFoundError(LLMError):
    error_type, status_code = "llm_not_found", 404


class LLMEmptyResponseError(LLMError):
    """The provider answered, but with nothing to act on: no text, no tool call (or no choices at all)."""

    error_type, status_code = "llm_empty_response", 502


class UnusableReply(ValueError):
    """What a provider sent (with a 200) cannot be taken as an answer: the wire format says what is wrong, the
    client words it for the person who has to fix it (ErrorContext.unusable_reply)."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class ReportedError(UnusableReply):
    """The server answered 200, then reported an error in the body or inside the stream, in its own words."""


def empty_response(model: str, finish_reason: str | None) -> LLMEmptyResponseError:
    if finish_reason == "length":
        return LLMEmptyResponseError(
            f"Model '{model}' ran out of output tokens before it said anything or called a tool; nothing was "
            "stored. Raise the agent's max_tokens, or try again."
        )
    return LLMEmptyResponseError(
        f"Model '{model}' sent an empty reply (no text and no tool call); nothing was stored. Try again; if it "
        "keeps happening, check the model and the server that hosts it."
    )


def status_for(error_type: str) -> int:
    """The HTTP status our API answers for a provider failure recorded as `error_type`."""
    for cls in (LLMError, *_subclasses(LLMError)):
        if cls.error_type == error_type:
            return cls.status_code
    return LLMError.status_code


def _subclasses(cls: type) -> list[type]:
    return [sub for direct in cls.__subclasses__() for sub in (direct, *_subclasses(direct))]


# ------------------------------------------------------------------------------------------ context overflow

# How OpenAI, vLLM, llama.cpp, Ollama, LM Studio, OpenRouter, Together, Mistral, Google and Anthropic word it.
_OVERFLOW = re.compile(
    r"context[_ ]length[_ ]exceeded|maximum context length|context length|context window|context size"
    r"|exceed_context_size|too many tokens|prompt is too long|too long to fit|exceeds? (the )?context limit"
    r"|context limit|context overflow|reduce the length of the messages|input token count .*exceeds"
    r"|tokens \+ `?max_new_tokens`? must be",
    re.IGNORECASE,
)


def is_context_overflow(*texts: str | None) -> bool:
    return any(text and _OVERFLOW.search(text) for text in texts)


# Where a server names the window it enforces: "maximum context length is 2048 tokens" (OpenAI, vLLM,
# llama-cpp-python), "exceed context window of 2048" (llama-cpp-python), "the available context size (2048 tokens)"
# (llama.cpp's server), "context length of only 4096 tokens" (Mistral, OpenRouter).
_STATED_WINDOW = re.compile(
    r"(?:maximum context length is|context window of|context size \(|context length of(?: only)?)\s*([\d,]+)",
    re.IGNORECASE,
)


def stated_context_window(*texts: str | None) -> int | None:
    """The context window an overflow error says the server enforces, if it says one."""
    for text in texts:
        if text and (found := _STATED_WINDOW.search(text)):
            window = int(found.group(1).replace(",", ""))
            if window > 0:
                return window
    return None


# ------------------------------------------------------------------------------------------ wording

_LABELS = {
    "openai": "OpenAI",
    "anthropic": "Anthropic",
    "ollama": "Ollama",
    "vllm": "vLLM",
    "lmstudio": "LM Studio",
    "llamacpp": "llama.cpp",
    "openrouter": "OpenRouter",
    "together": "Together AI",
    "groq": "Groq",
    "google_ai": "Google AI",
    "deepseek": "DeepSeek",
    "mistral": "Mistral",
    "xai": "xAI",
}
_OFFICIAL_HOSTS = {"openai": "api.openai.com", "anthropic": "api.anthropic.com"}


def provider_label(provider_name: str, base_url: str, protocol: str = "OpenAI") -> str:
    """ "OpenAI" for api.openai.com, but "the OpenAI-compatible server" when OPENAI_BASE_URL points elsewhere."""
    official = _OFFICIAL_HOSTS.get(provider_name)
    if official and urlsplit(base_url).hostname != official:
        return f"the {protocol}-compatible server"
    return _LABELS.get(provider_name) or f"the {protocol}-compatible server '{provider_name}'"


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def connection_reason(exc: BaseException) -> str:
    """The root cause of a failed connection, in a few words."""
    seen: set[int] = set()
    node: BaseException | None = exc
    last = str(exc)
    while node is not None and id(node) not in seen:
        seen.add(id(node))
        if isinstance(node, ConnectionRefusedError):
            return "connection refused"
        if isinstance(node, socket.gaierror):
            return "host name not found"
        if isinstance(node, ssl.SSLError):
            return f"TLS error ({node})"
        if isinstance(node, (ConnectionResetError, BrokenPipeError)):
            return "the connection was dropped"
        if str(node):
            last = str(node)
        node = node.__cause__ or node.__context__
    return last or "connection failed"


class ErrorContext:
    """Who we were talking to, so every message names the provider, the URL and the fix."""

    def __init__(
        self, provider_name: str, base_url: str, *, max_retries: int, timeout: float, protocol: str = "OpenAI"
    ) -> None:
        self.provider_name = provider_name
        self.base_url = base_url
        self.label = provider_label(provider_name, base_url, protocol)
        self.max_retries = max_retries
        self.timeout = timeout

    @property
    def _retried(self) -> str:
        n = self.max_retries
        return f" after {n} {'retry' if n == 1 else 'retries'}" if n else ""

    def connection(self, exc: BaseException) -> LLMConnectionError:
        reason = connection_reason(exc)
        hint = {"connection refused": "Is it running?", "host name not found": "Is the host name right?"}
        return LLMConnectionError(
            f"Cannot reach {self.label} at {self.base_url}: {reason}. "
            f"{hint.get(reason, 'Is it running, and is the base URL right?')}",
            detail=str(exc) or None,
        )

    def timed_out(self) -> LLMTimeoutError:
        return LLMTimeoutError(
            f"{_cap(self.label)} at {self.base_url} did not answer within {self.timeout:g} s{self._retried}. "
            "Try again, use a faster model, or raise LETTA_LLM_TIMEOUT.",
        )

    def invalid_response(self, detail: str) -> LLMServerError:
        return LLMServerError(
            f"{_cap(self.label)} at {self.base_url} sent an invalid response. "
            "Check that the base URL points at the provider's API.",
            detail=detail,
        )

    def unexpected(self, exc: BaseException) -> LLMServerError:
        return LLMServerError(
            f"Unexpected error talking to {self.label} at {self.base_url}: {type(exc).__name__}: {exc}",
            detail=repr(exc),
        )

    def unusable_reply(self, problem: UnusableReply, *, model: str) -> LLMError:
        """A 200 answer that is no answer: an error the server reported in it, or a reply cut off or unreadable."""
        if isinstance(problem, ReportedError):
            return self.stream_error(problem.detail, model=model)
        return LLMServerError(
            f"{_cap(self.label)} at {self.base_url} sent a reply that cannot be used: {problem.detail}. Nothing was "
            "stored; try again, and if it keeps happening check the server's log.",
            detail=problem.detail,
        )

    def stream_error(self, detail: str, *, model: str) -> LLMError:
        """An error the server reported inside a stream that had already started."""
        if is_context_overflow(detail):
            return self._overflow(detail, model)
        return LLMServerError(f"{_cap(self.label)} at {self.base_url} failed mid-response: {detail}", detail=detail)

    def status(self, status: int, detail: str | None, *, model: str, code: str | None = None) -> LLMError:
        """Map an HTTP error status (and the provider's own words) to the error our API reports."""
        where = f"at {self.base_url}"
        words = detail.strip().rstrip(".") if detail else None
        said = f": {words}" if words else ""
        if status == 401:
            env = f"{self.provider_name.upper()}_API_KEY"
            return LLMAuthenticationError(
                f"{_cap(self.label)} rejected the API key (401) {where}: set {env} or the provider's api_key.",
                detail=detail,
            )
        if status == 403:
            return LLMAuthenticationError(
                f"{_cap(self.label)} refused access (403) {where}: {words or 'permission denied'}. "
                f"Check that the API key may use model '{model}'.",
                detail=detail,
            )
        if status == 404 and not model:
            return LLMNotFoundError(
                f"{_cap(self.label)} has no model list {where} (404{said}). Check that the base URL is the API root.",
                detail=detail,
            )
        if status == 404:
            return LLMNotFoundError(
                f"{_cap(self.label)} {where} does not know model '{model}' (404{said}). Check the model name "
                "against the provider's model list, and that the base URL is the API root.",
                detail=detail,
            )
        if status == 429:
            if code == "insufficient_quota" or (detail and "quota" in detail.lower()):
                fix = "the account is out of quota or credit; check its billing"
            else:
                fix = "wait a little and try again, or send fewer requests"
            return LLMRateLimitError(
                f"{_cap(self.label)} rate-limited the request (429) {where}{self._retried}: {fix}.", detail=detail
            )
        if status in (400, 413, 422):
            if is_context_overflow(code, detail):
                return self._overflow(detail, model)
            return LLMBadRequestError(
                f"{_cap(self.label)} rejected the request ({status}) {where}{said}", detail=detail
            )
        if status in (408, 504):
            return LLMTimeoutError(
                f"{_cap(self.label)} timed out ({status}) {where}{self._retried}. Try again, or use a faster model.",
                detail=detail,
            )
        if status >= 500:
            return LLMServerError(
                f"{_cap(self.label)} had a server error ({status}) {where}{self._retried}{said}. Try again later.",
                detail=detail,
            )
        return LLMServerError(
            f"{_cap(self.label)} answered with unexpected status {status} {where}{said}", detail=detail
        )

    def _overflow(self, detail: str | None, model: str) -> LLMContextWindowExceededError:
        return LLMContextWindowExceededError(
            f"The conversation no longer fits the context window of model '{model}' ({self.label} at "
            f"{self.base_url}). Summarize or trim the history, or use a model with a larger context window.",
            detail=detail,
        )


def body_message(body: object) -> str | None:
    """The provider's own explanation from an error body, in any of the shapes servers use."""
    if isinstance(body, str):
        return body.strip() or None
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict):
            return body_message(error)
        for key in ("message", "error", "detail", "msg"):
            value = body.get(key)
            if isinstance(value, str) and value.strip():
                return value.strip()
            if isinstance(value, (list, dict)) and value:
                return str(value)
    return None
