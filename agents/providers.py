"""Which provider client serves a model handle, and how large that model's context window is."""

import asyncio
import logging
from dataclasses import dataclass

from asgiref.sync import sync_to_async
from django.conf import settings

from accounts.errors import DomainError
from accounts.models import Provider
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


class ModelConfigError(DomainError, ValueError):
    """The agent's model handle cannot be served; the message says how to fix it."""


@dataclass(frozen=True, slots=True)
class ResolvedModel:
    handle: str
    provider: str
    model: str
    client: LLMClient


def _stored_config(name: str, organization_id: str) -> dict | None:
    # Read on every call, never kept: a key changed or a provider deleted through the API (in any process)
    # takes effect on the next request.
    record = Provider.objects.for_organization(organization_id).filter(name=name).first()
    return None if record is None else stored_config(record)


def stored_config(record: Provider) -> dict:
    """A provider record as the same config dict the environment gives (settings.LLM_PROVIDERS)."""
    return {
        "provider_type": record.kind,
        "api_key": record.api_key or None,
        "base_url": record.base_url or None,
        "letta_type": record.provider_type,
    }


def resolve(handle: str, organization_id: str | None = None) -> ResolvedModel:
    """The client for a handle: the environment's providers first, then (given the organization) those created
    through the API. Sync, and it may query the database; async code calls `aresolve`."""
    try:
        provider, model = parse_handle(handle)
    except ValueError as exc:
        raise ModelConfigError(str(exc)) from exc
    config = settings.LLM_PROVIDERS.get(provider)
    if config is None and organization_id is not None:
        config = _stored_config(provider, organization_id)
    if config is None:
        known = ", ".join(sorted(settings.LLM_PROVIDERS))
        raise ModelConfigError(
            f"No provider named '{provider}' is configured for model '{handle}'. Configured providers: {known}, "
            f"and those created with POST /v1/providers/. Create one named '{provider}', or set "
            f"{provider.upper()}_BASE_URL (and {provider.upper()}_API_KEY if needed) to add it."
        )
    return ResolvedModel(handle=handle, provider=provider, model=model, client=client_for(provider, config))


def client_for(name: str, config: dict) -> LLMClient:
    try:
        return make_client(
            config["provider_type"],
            api_key=config.get("api_key"),
            base_url=config.get("base_url"),
            max_retries=settings.LLM_MAX_RETRIES,
            timeout=settings.LLM_TIMEOUT_SECONDS,
            provider_name=name,
        )
    except ValueError as exc:
        raise ModelConfigError(str(exc)) from exc


async def aresolve(handle: str, organization_id: str | None) -> ResolvedModel:
    """`resolve` for async code; the environment's providers are found without leaving the event loop."""
    if organization_id is None or handle.partition("/")[0] in settings.LLM_PROVIDERS:
        return resolve(handle)
    return await sync_to_async(resolve)(handle, organization_id)


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
ENDPOINT_TYPES = {"lmstudio": "lmstudio", "openai_compatible": "openai", "lmstudio_openai": "lmstudio"}
# EmbeddingModel.embedding_endpoint_type is a closed list in the SDK; anything else speaks OpenAI's protocol.
EMBEDDING_ENDPOINT_TYPES = {t: t for t in ("openai", "ollama", "vllm", "groq", "together", "mistral", "google_ai")}
EMBEDDING_ENDPOINT_TYPES |= {"lmstudio": "lmstudio", "lmstudio_openai": "lmstudio"}
LIST_TIMEOUT_SECONDS = 10.0


def _usable(name: str, config: dict) -> bool:
    # The built-in openai/anthropic entries exist even with nothing set; asking them would only time out.
    return bool(config.get("api_key") or config.get("base_url")) or name not in ("openai", "anthropic")


def _configs(organization_id: str | None) -> dict[str, dict]:
    """Every provider the organization can use, by name: the environment's, then its own records."""
    configs = {n: c for n, c in settings.LLM_PROVIDERS.items() if _usable(n, c)}
    if organization_id is not None:
        for record in Provider.objects.for_organization(organization_id).order_by("created_at", "id"):
            configs.setdefault(record.name, stored_config(record))
    return configs


def letta_provider_type(name: str, config: dict) -> str:
    """The provider_type the SDK knows (its ProviderType has no 'openai_compatible')."""
    kind = config.get("letta_type") or config["provider_type"]
    return PROVIDER_TYPES.get(name, PROVIDER_TYPES.get(kind, kind))


def is_embedding_model(model: str) -> bool:
    # Providers' model lists do not say what a model is for; embedding models are named for it
    # (text-embedding-3-small, nomic-embed-text, mxbai-embed-large, bge-m3, e5-large, ...).
    lowered = model.lower()
    return "embed" in lowered or lowered.startswith(("bge-", "e5-", "gte-"))


async def _provider_models(name: str, config: dict) -> list[tuple[str, dict, object, object]]:
    client = client_for(name, config)
    models = await asyncio.wait_for(client.list_models(), LIST_TIMEOUT_SECONDS)
    return [(name, config, client, info) for info in models]


async def _all_models(organization_id: str | None) -> list[tuple]:
    """(name, config, client, model info) for every model every usable provider lists. A provider that is down
    is left out (and logged), so one unreachable local server does not hide the others."""
    configs = await sync_to_async(_configs)(organization_id) if organization_id else _configs(None)
    names = list(configs)
    results = await asyncio.gather(*(_provider_models(n, configs[n]) for n in names), return_exceptions=True)
    found = []
    for name, result in zip(names, results, strict=True):
        if isinstance(result, BaseException):
            log.warning("listing models of provider %s failed: %s", name, result)
            continue
        found.extend(result)
    return found


async def list_models(organization_id: str | None = None) -> list[dict]:
    """The chat models of the providers the organization can use (`GET /v1/models/`)."""
    models = []
    for name, config, client, info in await _all_models(organization_id):
        if is_embedding_model(info.name):
            continue
        handle = f"{name}/{info.name}"
        window = info.context_window or context_window_for(handle, None)
        kind = config.get("letta_type") or config["provider_type"]
        models.append(
            {
                "handle": handle,
                "name": info.name,
                "model": info.name,
                "display_name": info.display_name or info.name,
                "provider_name": name,
                "provider_type": letta_provider_type(name, config),
                "model_endpoint_type": ENDPOINT_TYPES.get(name, ENDPOINT_TYPES.get(kind, kind)),
                "model_endpoint": client.base_url,
                "context_window": window,
                "max_context_window": window,
            }
        )
    return models


# Dimensions of well-known embedding models; others are reported as 1536 (OpenAI's small model), a shape hint only.
EMBEDDING_DIMS = {
    "text-embedding-3-large": 3072,
    "text-embedding-3-small": 1536,
    "text-embedding-ada-002": 1536,
    "nomic-embed-text": 768,
    "mxbai-embed-large": 1024,
}
DEFAULT_EMBEDDING_DIM = 1536
EMBEDDING_CHUNK_SIZE = 300


def embedding_dim_for(model: str) -> int:
    return EMBEDDING_DIMS.get(model.split(":", 1)[0], DEFAULT_EMBEDDING_DIM)


async def list_embedding_models(organization_id: str | None = None) -> list[dict]:
    """The embedding models of the providers the organization can use (`GET /v1/models/embedding`), as the
    SDK's EmbeddingModel. Anthropic has no embeddings endpoint, so its providers offer none."""
    models = []
    for name, config, client, info in await _all_models(organization_id):
        if config["provider_type"] == "anthropic" or not is_embedding_model(info.name):
            continue
        kind = config.get("letta_type") or config["provider_type"]
        models.append(
            {
                "handle": f"{name}/{info.name}",
                "name": info.name,
                "embedding_model": info.name,
                "display_name": info.display_name or info.name,
                "provider_name": name,
                "provider_type": letta_provider_type(name, config),
                "embedding_endpoint_type": EMBEDDING_ENDPOINT_TYPES.get(kind, "openai"),
                "embedding_endpoint": client.base_url,
                "embedding_dim": embedding_dim_for(info.name),
                "embedding_chunk_size": EMBEDDING_CHUNK_SIZE,
                "model_type": "embedding",
            }
        )
    return models
