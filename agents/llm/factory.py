"""Model handles ("provider/model") and the client that serves a provider."""

from __future__ import annotations

import asyncio
import weakref

from .anthropic_client import AnthropicClient
from .base import LLMClient
from .openai_client import OpenAIClient

# Where the well-known OpenAI-compatible services live, for providers configured without a base URL.
DEFAULT_BASE_URLS = {
    "ollama": "http://127.0.0.1:11434/v1",
    "lmstudio": "http://127.0.0.1:1234/v1",
    "lmstudio_openai": "http://127.0.0.1:1234/v1",  # Letta's provider_type for LM Studio
    "openrouter": "https://openrouter.ai/api/v1",
    "together": "https://api.together.xyz/v1",
    "groq": "https://api.groq.com/openai/v1",
    "google_ai": "https://generativelanguage.googleapis.com/v1beta/openai",
    "deepseek": "https://api.deepseek.com/v1",
    "mistral": "https://api.mistral.ai/v1",
    "xai": "https://api.x.ai/v1",
}
# Where each SDK sends requests when given no base URL. Clients are always given one (this one when nothing else
# is set), so the SDKs never fall back to OPENAI_BASE_URL / ANTHROPIC_BASE_URL behind the configuration's back.
SDK_DEFAULT_URLS = {"openai": "https://api.openai.com/v1", "anthropic": "https://api.anthropic.com"}


def client_kind(kind: str) -> str:
    """The SDK a provider kind speaks: "anthropic" for Anthropic, "openai" for OpenAI and every compatible server."""
    return "anthropic" if (kind or "").strip().lower() == "anthropic" else "openai"


def base_url_for(kind: str, base_url: str | None, provider_name: str | None = None) -> str | None:
    """The URL a client of this kind really sends to: the configured one, else the well-known address of the
    service (by kind, then by provider name), else the SDK's default for the official APIs. None when a compatible
    server was configured without an address (it has no default)."""
    kind = (kind or "").strip().lower()
    url = (
        base_url
        or DEFAULT_BASE_URLS.get(kind)
        or DEFAULT_BASE_URLS.get(provider_name or "")
        or SDK_DEFAULT_URLS.get(kind)
    )
    return url.rstrip("/") if url else None


def missing_base_url(provider_name: str, kind: str) -> str:
    return (
        f"Provider '{provider_name}' ({kind}) needs a base URL, e.g. http://127.0.0.1:8080/v1: "
        f"set {provider_name.upper()}_BASE_URL."
    )


def parse_handle(handle: str) -> tuple[str, str]:
    """ "openrouter/meta-llama/llama-3" -> ("openrouter", "meta-llama/llama-3")."""
    provider, slash, model = (handle or "").strip().partition("/")
    if not slash or not provider or not model:
        raise ValueError(
            f"Model handle {handle!r} must be 'provider/model', e.g. 'openai/gpt-4.1-mini', "
            "'anthropic/claude-sonnet-4-5' or 'ollama/qwen2.5:7b'."
        )
    return provider, model


# One client per configuration per event loop: the SDKs pool connections, and a pooled connection must
# not outlive the loop that opened it (sync code that runs async_to_sync gets a fresh loop each time).
_cache: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[tuple, LLMClient]] = weakref.WeakKeyDictionary()


def make_client(
    kind: str,
    *,
    api_key: str | None,
    base_url: str | None,
    max_retries: int = 3,
    timeout: float = 600.0,
    provider_name: str | None = None,
    follow_redirects: bool = True,
) -> LLMClient:
    """The client for a provider of `kind` (openai, anthropic, or a compatible server's type) at `base_url`
    (see base_url_for when None)."""
    kind = (kind or "").strip().lower()
    provider_name = provider_name or kind
    base_url = base_url_for(kind, base_url, provider_name)
    if not base_url:
        raise ValueError(missing_base_url(provider_name, kind))
    sdk = client_kind(kind)
    key = (sdk, api_key, base_url, max_retries, timeout, provider_name, follow_redirects)
    try:
        clients = _cache.setdefault(asyncio.get_running_loop(), {})
    except RuntimeError:  # no running loop: nothing to share the client with
        clients = {}
    client = clients.get(key)
    if client is None or client.closed:
        cls = AnthropicClient if sdk == "anthropic" else OpenAIClient
        client = cls(
            api_key,
            base_url,
            max_retries=max_retries,
            timeout=timeout,
            provider_name=provider_name,
            follow_redirects=follow_redirects,
        )
        clients[key] = client
    return client


def clear_client_cache() -> None:
    """Forget cached clients (they close when garbage-collected); for tests that swap providers."""
    _cache.clear()
