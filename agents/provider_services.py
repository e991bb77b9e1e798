"""Providers created through the API (`/v1/providers`): which types this server can talk to, and the rules for
creating and changing them. Their models are then offered as `<name>/<model>` handles (agents/providers.py).

A base URL a user gives is an address the server will connect to on the user's behalf, so it passes the outbound
policy (letta_project.outbound) when it is stored and again whenever the server is about to use it (a check, a
model listing, a run): the host may resolve elsewhere by then, or the operator may have changed the policy. The
well-known services' own addresses (api.openai.com, ...) are this server's choice, not the user's, and trusted like
the providers the environment configures, which never come here.
"""

import asyncio
import ipaddress
import re
from dataclasses import replace
from urllib.parse import urlsplit

from django.conf import settings
from django.db import IntegrityError, transaction

from accounts.errors import ConflictError, DomainError
from accounts.models import Provider
from agents.llm import LLMAuthenticationError, LLMConnectionError, LLMError, LLMTimeoutError
from agents.llm.factory import DEFAULT_BASE_URLS, SDK_DEFAULT_URLS
from agents.model_choices import forget_models
from letta_project.outbound import OutboundRefused, check_url

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


class ModelSettingError(ProviderError):
    """A context window or alias that cannot be used; `field` names the control a form shows it beside
    ("context_window" or "alias")."""

    def __init__(self, message: str, *, field: str = "context_window"):
        super().__init__(message)
        self.field = field


MAX_MODEL_SETTINGS = 500
MAX_MODEL_ID_LENGTH = 500
# Safe in a handle's model part, a URL path and a label: letters and digits first, then these; no "/".
ALIAS_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:+@-]{0,63}")


def _names_a_host(url: str) -> bool:
    try:
        ipaddress.ip_address(urlsplit(url).hostname or "")
    except ValueError:
        return True
    return False


# Addresses this server picks itself when a provider is created without one. Those of local servers (Ollama on
# 127.0.0.1) are not here: the policy decides whether an API user may make the server reach them.
WELL_KNOWN_URLS = frozenset(
    url.rstrip("/") for url in (*DEFAULT_BASE_URLS.values(), *SDK_DEFAULT_URLS.values()) if _names_a_host(url)
)


def is_user_supplied(base_url: str | None) -> bool:
    """Whether a provider record's address must pass the outbound policy before the server connects to it."""
    return bool(base_url) and base_url.rstrip("/") not in WELL_KNOWN_URLS


def check_base_url(base_url: str | None) -> None:
    """Refuse a user's base URL the outbound policy keeps private. Sync: it resolves the host."""
    if not is_user_supplied(base_url):
        return
    try:
        check_url(base_url)
    except OutboundRefused as exc:
        raise ProviderURLError(f"base_url: {exc}") from exc


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
    check_base_url(base_url)
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


def check_window(value, where: str = "context_window") -> int | None:
    """A context window someone sets: a whole number of tokens from 1 to LETTA_DEFAULT_CONTEXT_WINDOW, or None."""
    if value is None:
        return None
    cap = settings.DEFAULT_CONTEXT_WINDOW
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= cap:
        raise ModelSettingError(
            f"{where} must be a whole number of tokens from 1 to {cap:,} (LETTA_DEFAULT_CONTEXT_WINDOW), "
            f"not {value!r}; leave it empty (null) to let the server or the model's name tell."
        )
    return value


def check_alias(value, model_id: str) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    where = f"The alias of model '{model_id}'"
    if not isinstance(value, str):
        raise ModelSettingError(f"{where} must be a text, not {value!r}.", field="alias")
    value = value.strip()
    if "/" in value or "\\" in value:
        raise ModelSettingError(
            f"{where}, '{value}', contains a slash: handles are '<provider>/<alias>', so give a short name "
            "without '/', e.g. 'gemma-3-270m'.",
            field="alias",
        )
    if not ALIAS_PATTERN.fullmatch(value):
        raise ModelSettingError(
            f"{where}, '{value}', is not a short name: use 1 to 64 letters, digits and . _ : + @ -, starting "
            "with a letter or digit.",
            field="alias",
        )
    return value


def check_model_settings(value) -> dict:
    """`{"<served model id>": {"context_window": int, "alias": str}}`, checked: each window as `check_window`,
    each alias a short name without "/" that no other model of the provider uses as its alias or id. Entries
    with neither are dropped. Raises ModelSettingError naming the model."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ModelSettingError(
            'model_settings must be an object: {"<model id the server lists>": {"context_window": 8192, '
            '"alias": "gemma"}}.'
        )
    if len(value) > MAX_MODEL_SETTINGS:
        raise ModelSettingError(f"model_settings holds {len(value)} models; at most {MAX_MODEL_SETTINGS}.")
    cleaned = {}
    for model_id, entry in value.items():
        if not model_id.strip() or len(model_id) > MAX_MODEL_ID_LENGTH or any(c in model_id for c in "\r\n\0"):
            raise ModelSettingError(f"model_settings: {model_id!r} is not a model id a server lists.")
        if not isinstance(entry, dict) or set(entry) - {"context_window", "alias"}:
            raise ModelSettingError(
                f"model_settings['{model_id}'] must be an object with only context_window and alias, not {entry!r}."
            )
        window = check_window(entry.get("context_window"), f"The context window of model '{model_id}'")
        alias = check_alias(entry.get("alias"), model_id)
        if window is not None or alias is not None:
            cleaned[model_id] = {"context_window": window, "alias": alias}
    _check_alias_clashes(cleaned)
    return cleaned


def _check_alias_clashes(models: dict) -> None:
    named: dict[str, str] = {}
    for model_id, entry in models.items():
        alias = entry["alias"]
        if alias is None:
            continue
        if alias in named:
            raise ModelSettingError(
                f"The alias '{alias}' is given to both '{named[alias]}' and '{model_id}': one handle names one "
                "model, so give each its own.",
                field="alias",
            )
        if alias in models and alias != model_id:
            raise ModelSettingError(
                f"The alias '{alias}' of model '{model_id}' is the id of another model of this provider: choose "
                "another name.",
                field="alias",
            )
        named[alias] = model_id


def create_provider(
    *,
    organization_id: str,
    name: str,
    provider_type: str,
    api_key: str | None = None,
    base_url: str | None = None,
    api_version: str | None = None,
    region: str | None = None,
    context_window: int | None = None,
    model_settings: dict | None = None,
) -> Provider:
    name = _check_name(name)
    kind = kind_of(provider_type)
    base_url = _base_url(provider_type, kind, base_url)
    context_window = check_window(context_window)
    model_settings = check_model_settings(model_settings)
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
                context_window=context_window,
                model_settings=model_settings,
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
    """Change credentials, address and model settings; the name and type stay (agents refer to the name in their
    handles). `context_window` given as None clears it; `model_settings` given replaces them all. Everything is
    checked before anything is stored."""
    if "api_key" in changes and changes["api_key"] is not None:
        provider.api_key = changes["api_key"]
    if "base_url" in changes and changes["base_url"] is not None:
        provider.base_url = _base_url(provider.provider_type, provider.kind, changes["base_url"])
    for field in ("api_version", "region"):
        if changes.get(field) is not None:
            setattr(provider, field, changes[field])
    if "context_window" in changes:
        provider.context_window = check_window(changes["context_window"])
    if "model_settings" in changes:
        provider.model_settings = check_model_settings(changes["model_settings"])
    provider.save()
    forget_models(provider.organization_id)
    return provider


def set_model_setting(provider: Provider, model_id: str, *, context_window: int | None, alias: str | None) -> Provider:
    """Set (or, both None, clear) one model's window and alias, checked with the provider's other models."""
    settings_now = {k: v for k, v in (provider.model_settings or {}).items() if k != model_id}
    settings_now[model_id] = {"context_window": context_window, "alias": alias}
    return update_provider(provider, {"model_settings": settings_now})


def delete_provider(provider: Provider) -> None:
    """Remove a provider; agents on its models keep their handles and say what to configure when they next run."""
    provider.delete()
    forget_models(provider.organization_id)


def new_provider_config(provider_type: str, *, api_key: str | None = None, base_url: str | None = None):
    """The ProviderConfig a provider created with these settings would have, to check it before storing it.
    Raises ProviderError for what `create_provider` would refuse (an unknown type, a missing or odd base URL, an
    address the outbound policy keeps private). Sync: it resolves the host."""
    from agents.providers import provider_config  # agents.providers imports KINDS from this module

    kind = kind_of(provider_type)
    base_url = _base_url(provider_type, kind, base_url)
    config = provider_config(provider_type, kind=kind, api_key=api_key, base_url=base_url)
    return replace(config, user_supplied=is_user_supplied(base_url))


async def check_provider(provider, provider_type: str) -> str:
    """Ask the provider (a ProviderConfig) for its models with its credentials: the cheapest call that needs a
    valid key. Answers the confirmation; raises a DomainError otherwise (an address the policy refuses 400, the
    provider's refusal with the status it maps to, no answer in time 504), worded by us: the base URL may be
    anyone's server, so neither what it answered nor a socket error's text is shown."""
    if provider.user_supplied:
        await asyncio.to_thread(check_base_url, provider.base_url)
    client = provider.client()
    try:
        await asyncio.wait_for(client.list_models(), CHECK_TIMEOUT_SECONDS)
    except LLMError as exc:
        raise DomainError(check_failure(exc, provider.base_url), status_code=exc.status_code) from exc
    except TimeoutError:
        raise DomainError(
            f"The provider did not list its models within {CHECK_TIMEOUT_SECONDS:g} seconds.", status_code=504
        ) from None
    return f"Valid api key for provider_type={provider_type}"


def check_failure(exc: LLMError, base_url: str) -> str:
    """Why listing a provider's models failed, in our words: the status it answered, never its body."""
    host = urlsplit(base_url or "").hostname or "the provider"
    status = getattr(exc.__cause__, "status_code", None)  # the SDK's error, when the provider answered at all
    if not isinstance(status, int):
        status = None
    if isinstance(exc, LLMConnectionError):
        return f"Could not connect to {host}."
    if status is None and isinstance(exc, LLMTimeoutError):
        return f"{host} did not answer in time."
    if status in (401, 403) or (status is None and isinstance(exc, LLMAuthenticationError)):
        return f"The provider refused the API key (HTTP {status or exc.status_code})."
    if status == 404:
        return "The provider has no model list there (HTTP 404): check that the base URL is the API root, e.g. .../v1."
    if status is not None:
        return f"The provider answered HTTP {status}."
    return f"{host} did not answer with a model list: check that the base URL is the provider's API root."
