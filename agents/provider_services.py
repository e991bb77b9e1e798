"""Providers created through the API (`/v1/providers`): which types this server can talk to, and the rules for
creating and changing them. Their models are then offered as `<name>/<model>` handles (agents/providers.py)."""

import asyncio

from django.conf import settings
from django.db import IntegrityError, transaction

from accounts.errors import ConflictError, DomainError
from accounts.models import Provider
from agents.llm import LLMError
from agents.llm.factory import DEFAULT_BASE_URLS
from agents.model_choices import forget_models

# Letta's provider types this server serves, and the protocol (Provider.kind) each speaks.
KINDS = {
    "openai": Provider.Kind.OPENAI,
    "anthropic": Provider.Kind.ANTHROPIC,
    **{
        t: Provider.Kind.OPENAI_COMPATIBLE
        for t in (
            "openai_compatible",
            "ollama",
            "vllm",
            "sglang",
            "lmstudio_openai",
            "openrouter",
            "together",
            "groq",
            "google_ai",
            "deepseek",
            "mistral",
            "xai",
            "cerebras",
            "fireworks",
        )
    },
}
MAX_NAME_LENGTH = 100
# As long as listing a provider's models may take when every provider is listed (agents.providers).
CHECK_TIMEOUT_SECONDS = 10.0


class ProviderError(DomainError, ValueError):
    """A provider that cannot be created or changed as asked; the message says what to fix."""


class ProviderNameError(ProviderError):
    """The name cannot be used (a form shows it next to the name)."""


class ProviderNameTaken(ConflictError, ProviderNameError):
    pass


class ProviderURLError(ProviderError):
    """The base URL is missing or not an http(s) address (a form shows it next to the base URL)."""


def kind_of(provider_type: str) -> str:
    kind = KINDS.get(provider_type)
    if kind is None:
        raise ProviderError(
            f"provider_type '{provider_type}' is not supported by this server. Supported: {', '.join(KINDS)}. "
            "Any OpenAI-compatible server can be added as 'openai_compatible' with its base_url."
        )
    return kind


def _base_url(provider_type: str, kind: str, base_url: str | None) -> str:
    base_url = (base_url or "").strip()
    if not base_url:
        base_url = DEFAULT_BASE_URLS.get(provider_type, "")  # where the well-known services live
    if not base_url and kind == Provider.Kind.OPENAI_COMPATIBLE:
        raise ProviderURLError(
            f"A '{provider_type}' provider needs a base_url, e.g. http://127.0.0.1:8000/v1 (the address that "
            "serves /v1/chat/completions and /v1/models)."
        )
    if base_url and not base_url.startswith(("http://", "https://")):
        raise ProviderURLError(f"base_url '{base_url}' must start with http:// or https://.")
    return base_url


def _check_name(name: str) -> str:
    name = (name or "").strip()
    if not name or "/" in name or len(name) > MAX_NAME_LENGTH:
        raise ProviderNameError(
            f"Provider name '{name}' is not usable: give 1 to {MAX_NAME_LENGTH} characters without '/', since "
            "models are addressed as '<provider name>/<model>'."
        )
    if name in settings.LLM_PROVIDERS:
        raise ProviderNameTaken(
            f"A provider named '{name}' is already configured by the server's environment; choose another name "
            f"(e.g. '{name}-byok')."
        )
    return name


def create_provider(
    *,
    organization_id: str,
    name: str,
    provider_type: str,
    api_key: str | None = None,
    base_url: str | None = None,
    api_version: str | None = None,
    region: str | None = None,
) -> Provider:
    name = _check_name(name)
    kind = kind_of(provider_type)
    base_url = _base_url(provider_type, kind, base_url)
    try:
        with transaction.atomic():
            provider = Provider.objects.create(
                organization_id=organization_id,
                name=name,
                provider_type=provider_type,
                kind=kind,
                api_key=api_key or "",
                base_url=base_url,
                api_version=api_version or "",
                region=region or "",
            )
    except IntegrityError:
        # The unique constraint decides, so two concurrent creates cannot both win.
        raise ProviderNameTaken(
            f"A provider named '{name}' already exists; choose another name or modify that "
            "one with PATCH /v1/providers/{id}."
        ) from None
    forget_models(organization_id)
    return provider


def update_provider(provider: Provider, changes: dict) -> Provider:
    """Change credentials and address; the name and type stay (agents refer to the name in their handles)."""
    if "api_key" in changes and changes["api_key"] is not None:
        provider.api_key = changes["api_key"]
    if "base_url" in changes and changes["base_url"] is not None:
        provider.base_url = _base_url(provider.provider_type, provider.kind, changes["base_url"])
    for field in ("api_version", "region"):
        if changes.get(field) is not None:
            setattr(provider, field, changes[field])
    provider.save()
    forget_models(provider.organization_id)
    return provider


def delete_provider(provider: Provider) -> None:
    """Remove a provider; agents on its models keep their handles and say what to configure when they next run."""
    provider.delete()
    forget_models(provider.organization_id)


def new_provider_config(provider_type: str, *, api_key: str | None = None, base_url: str | None = None):
    """The ProviderConfig a provider created with these settings would have, to check it before storing it.
    Raises ProviderError for what `create_provider` would refuse (an unknown type, a missing or odd base URL)."""
    from agents.providers import provider_config  # agents.providers imports KINDS from this module

    kind = kind_of(provider_type)
    return provider_config(provider_type, kind=kind, api_key=api_key, base_url=_base_url(provider_type, kind, base_url))


async def check_provider(provider, provider_type: str) -> str:
    """Ask the provider (a ProviderConfig) for its models with its credentials: the cheapest call that needs a
    valid key. Answers the confirmation; raises a DomainError with the provider's own message otherwise (a bad
    config 400, the provider's refusal with the status it maps to, no answer in time 504)."""
    client = provider.client()
    try:
        await asyncio.wait_for(client.list_models(), CHECK_TIMEOUT_SECONDS)
    except LLMError as exc:
        raise DomainError(str(exc), status_code=exc.status_code) from exc
    except TimeoutError:
        raise DomainError(
            f"The provider did not list its models within {CHECK_TIMEOUT_SECONDS:g} seconds.", status_code=504
        ) from None
    return f"Valid api key for provider_type={provider_type}"
