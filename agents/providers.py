"""Which provider client serves a model handle, and how large that model's context window is."""

from dataclasses import dataclass

from django.conf import settings

from agents.llm import LLMClient
from agents.llm.factory import make_client, parse_handle

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
