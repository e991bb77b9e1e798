"""Which provider client serves a model handle, and how large that model's context window is."""

import asyncio
import logging
from dataclasses import dataclass

from django.conf import settings

from agents.llm import LLMClient
from agents.llm.factory import make_client, parse_handle

log = logging.getLogger(__name__)

# Context windows of well-known models, for agents that do not set context_window_limit.
KNOWN_CONTEXT_WINDOWS = {
    "gpt-4.1": 1_047_576,
    "gpt-4o": 128_000,
    "gpt-5": 400_000,
    "o3": 200_000,
    "o4-mini": 200_000,
    "claude": 200_000,
}


class ModelConfigError(ValueError):
    """The agent's model handle cannot be served; the message says how to fix it."""


@dataclass(frozen=True, slots=True)
class ResolvedModel:
    handle: str
    provider: str
    model: str
    client: LLMClient


def resolve(handle: str) -> ResolvedModel:
    try:
        provider, model = parse_handle(handle)
    except ValueError as exc:
        raise ModelConfigError(str(exc)) from exc
    config = settings.LLM_PROVIDERS.get(provider)
    if config is None:
        known = ", ".join(sorted(settings.LLM_PROVIDERS))
        raise ModelConfigError(
            f"No provider named '{provider}' is configured for model '{handle}'. Configured providers: {known}. "
            f"Set {provider.upper()}_BASE_URL (and {provider.upper()}_API_KEY if needed) to add it."
        )
    try:
        client = make_client(
            config["provider_type"],
            api_key=config.get("api_key"),
            base_url=config.get("base_url"),
            max_retries=settings.LLM_MAX_RETRIES,
            timeout=settings.LLM_TIMEOUT_SECONDS,
            provider_name=provider,
        )
    except ValueError as exc:
        raise ModelConfigError(str(exc)) from exc
    return ResolvedModel(handle=handle, provider=provider, model=model, client=client)


def context_window_for(handle: str, limit: int | None) -> int:
    if limit:
        return limit
    model = handle.split("/", 1)[-1]
    for prefix, window in sorted(KNOWN_CONTEXT_WINDOWS.items(), key=lambda kv: -len(kv[0])):
        if model.startswith(prefix):
            return min(window, settings.DEFAULT_CONTEXT_WINDOW)
    return settings.DEFAULT_CONTEXT_WINDOW


# How each provider presents itself in the models list (Letta's provider_type / model_endpoint_type).
PROVIDER_TYPES = {"lmstudio": "lmstudio_openai", "openai_compatible": "openai"}
ENDPOINT_TYPES = {"lmstudio": "lmstudio", "openai_compatible": "openai"}
LIST_TIMEOUT_SECONDS = 10.0


def _usable(name: str, config: dict) -> bool:
    # The built-in openai/anthropic entries exist even with nothing set; asking them would only time out.
    return bool(config.get("api_key") or config.get("base_url")) or name not in ("openai", "anthropic")


async def _provider_models(name: str) -> list[dict]:
    client = resolve(f"{name}/-").client
    models = await asyncio.wait_for(client.list_models(), LIST_TIMEOUT_SECONDS)
    kind = settings.LLM_PROVIDERS[name]["provider_type"]
    out = []
    for info in models:
        handle = f"{name}/{info.name}"
        window = info.context_window or context_window_for(handle, None)
        out.append({
            "handle": handle, "name": info.name, "model": info.name, "display_name": info.display_name or info.name,
            "provider_name": name, "provider_type": PROVIDER_TYPES.get(name, PROVIDER_TYPES.get(kind, kind)),
            "model_endpoint_type": ENDPOINT_TYPES.get(name, ENDPOINT_TYPES.get(kind, kind)),
            "model_endpoint": client.base_url, "context_window": window, "max_context_window": window,
        })
    return out


async def list_models() -> list[dict]:
    """Every model the configured providers list. A provider that is down is left out (and logged), so one
    unreachable local server does not hide the others."""
    names = [n for n, config in settings.LLM_PROVIDERS.items() if _usable(n, config)]
    results = await asyncio.gather(*(_provider_models(n) for n in names), return_exceptions=True)
    models = []
    for name, result in zip(names, results, strict=True):
        if isinstance(result, BaseException):
            log.warning("listing models of provider %s failed: %s", name, result)
            continue
        models.extend(result)
    return models
