"""What a model handle ("provider/model") means: the one place that decides it.

`resolve` turns a handle (and the organization asking) into a ModelConfig: the provider, from the environment
(settings.LLM_PROVIDERS) or else the organization's own records (`/v1/providers`); which SDK its client uses and
the URL that client really sends to; how Letta names its provider type and endpoint types; the model's context
window; and whether token counts for it are estimates. The loop, the context overview, the API's llm_config /
embedding_config and the models listing all read this config, so they cannot disagree about a handle.

A handle's model part may be a readable name rather than the id the server lists (agents/model_names.py: an alias
the provider record sets, or a file path's stem); `resolve` maps it back to that id for the wire. A model's context
window follows one precedence, `context_window_of`, which also says when it is a guess.

Letta's names, as letta-client 1.12 types them: `provider_type` is its ProviderType (a provider's own type, e.g.
"ollama"; an OpenAI-compatible server of no known type is "openai"), and `model_endpoint_type` /
`embedding_endpoint_type` are that type where the SDK's closed lists have it, else the protocol spoken
("openai"), as Letta's own providers report them (its Ollama provider says "ollama" for both).
"""

import asyncio
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from urllib.parse import urlsplit

from asgiref.sync import sync_to_async
from django.conf import settings

from accounts.errors import DomainError
from accounts.models import Provider
from agents.llm import LLMClient
from agents.llm.factory import base_url_for, client_kind, make_client, missing_base_url, parse_handle
from agents.model_names import file_stem, is_path_like, readable_names, wire_id
from agents.provider_services import KINDS, check_base_url, is_user_supplied
from agents.tokens import forget_token_ratios, is_estimate, learn_token_ratio

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

OFFICIAL_HOSTS = ("api.openai.com", "api.anthropic.com")

# Letta's provider_type of a provider: its declared type (a record's provider_type) or, for the environment's, its
# name, when that is a type this server serves (provider_services.KINDS, all in the SDK's ProviderType but
# "openai_compatible"); these spell one differently.
_LETTA_TYPE_ALIASES = {"lmstudio": "lmstudio_openai", "openai_compatible": "openai"}
# model_endpoint_type is a closed list in the SDK's LlmConfig and Model (types with no entry there are "openai",
# the protocol they speak); embedding_endpoint_type a shorter one in EmbeddingConfig and EmbeddingModel.
_SAME_NAME_ENDPOINTS = ("openai", "anthropic", "google_ai", "groq", "ollama", "vllm", "mistral", "together")
MODEL_ENDPOINT_TYPES = {t: t for t in (*_SAME_NAME_ENDPOINTS, "deepseek", "xai", "openrouter")}
MODEL_ENDPOINT_TYPES["lmstudio_openai"] = "lmstudio"
EMBEDDING_ENDPOINT_TYPES = {t: t for t in _SAME_NAME_ENDPOINTS if t != "anthropic"}
EMBEDDING_ENDPOINT_TYPES["lmstudio_openai"] = "lmstudio"
# AgentState.model_settings is a union the SDK tells apart by provider_type; a provider with no settings shape of
# its own (Ollama, vLLM, LM Studio, ...) takes the shape of the protocol it speaks.
MODEL_SETTINGS_TYPES = {"openai", "anthropic", "google_ai", "groq", "together", "deepseek", "xai", "openrouter"}


class ModelConfigError(DomainError, ValueError):
    """The agent's model handle cannot be served; the message says how to fix it."""


@dataclass(frozen=True, slots=True)
class ProviderConfig:
    """One provider as this server talks to it, whether the environment or a `/v1/providers` record set it up."""

    name: str
    kind: str  # the protocol it speaks, as Provider.kind: "openai", "anthropic" or "openai_compatible"
    provider_type: str  # Letta's ProviderType
    base_url: str | None  # where its client sends requests, the SDK's default included; None: not configured
    api_key: str | None = field(default=None, repr=False)
    # A `/v1/providers` record's own address: it passes the outbound policy before each use (provider_services).
    user_supplied: bool = False
    # The window of its models no better source describes (a record's `context_window`; the environment's
    # LETTA_MODEL_CONTEXT_WINDOWS "name/*"), and per model {"context_window", "alias"} (a record's
    # `model_settings`, keyed by served id; the environment's, keyed by the handle's model part).
    context_window: int | None = None
    model_settings: Mapping[str, dict] = field(default_factory=dict, compare=False)

    @property
    def client_kind(self) -> str:
        """Which SDK its client uses: "openai" (OpenAI and every compatible server) or "anthropic"."""
        return client_kind(self.kind)

    @property
    def model_endpoint_type(self) -> str:
        return MODEL_ENDPOINT_TYPES.get(self.provider_type, self.client_kind)

    @property
    def model_settings_type(self) -> str:
        return self.provider_type if self.provider_type in MODEL_SETTINGS_TYPES else self.client_kind

    @property
    def embedding_endpoint_type(self) -> str:
        # Anthropic has no embeddings endpoint; what could call one would speak OpenAI's protocol.
        return EMBEDDING_ENDPOINT_TYPES.get(self.provider_type, "openai")

    @property
    def streams_tool_calls(self) -> bool:
        """OpenAI's and Anthropic's APIs stream tool calls reliably, so the loop streams to them always (a step's
        time to first token is measured); other servers are streamed to only when someone reads the tokens."""
        return self.kind in ("openai", "anthropic")

    @property
    def official(self) -> bool:
        return self.kind in ("openai", "anthropic") and urlsplit(self.base_url or "").hostname in OFFICIAL_HOSTS

    @property
    def aliases(self) -> dict[str, str]:
        """served id -> the name its handle uses instead."""
        return {model: entry["alias"] for model, entry in self.model_settings.items() if entry.get("alias")}

    def setting_for(self, model: str, wire: str) -> dict:
        """The per-model settings of a handle's model part (`model`) that means the served id `wire`."""
        for key in dict.fromkeys((wire, model, file_stem(wire) if is_path_like(wire) else wire)):
            if key in self.model_settings:
                return self.model_settings[key]
        return {}

    def client(self) -> LLMClient:
        try:
            return make_client(
                self.kind,
                api_key=self.api_key,
                base_url=self.base_url,
                max_retries=settings.LLM_MAX_RETRIES,
                timeout=settings.LLM_TIMEOUT_SECONDS,
                provider_name=self.name,
                follow_redirects=not self.user_supplied,
            )
        except ValueError as exc:  # no base URL: a compatible server configured without its address
            raise ModelConfigError(str(exc)) from exc

    def check_address(self) -> None:
        """Refuse to use a user's base URL the outbound policy keeps private (ModelConfigError). Sync: it resolves
        the host, so async code runs it in a thread."""
        if not self.user_supplied:
            return
        try:
            check_base_url(self.base_url)
        except DomainError as exc:
            raise ModelConfigError(f"Provider '{self.name}' cannot be used: {exc}") from exc


@dataclass(frozen=True, slots=True)
class ModelConfig:
    """What a handle means for an agent: its provider, the model name that provider knows, its context window."""

    handle: str
    model: str
    provider: ProviderConfig
    context_window: int

    @property
    def counts_are_estimates(self) -> bool:
        """Token counts are exact only for models tiktoken knows (OpenAI's); others are counted with a stand-in
        encoding and labelled estimates."""
        return is_estimate(self.model)

    @property
    def client(self) -> LLMClient:
        return self.provider.client()


def provider_config(
    name: str,
    *,
    kind: str,
    provider_type: str | None = None,
    api_key: str | None = None,
    base_url: str | None = None,
    context_window: int | None = None,
    model_settings: Mapping[str, dict] | None = None,
) -> ProviderConfig:
    """A provider from its settings: `kind` as Provider.Kind ("openai", "anthropic", "openai_compatible"),
    `provider_type` Letta's type when declared (else the name tells it)."""
    letta_type = provider_type or name
    letta_type = _LETTA_TYPE_ALIASES.get(letta_type, letta_type)
    if letta_type not in KINDS:
        letta_type = client_kind(kind)
    return ProviderConfig(
        name=name,
        kind=kind,
        provider_type=letta_type,
        base_url=base_url_for(kind, base_url, name),
        api_key=api_key or None,
        context_window=context_window or None,
        model_settings=model_settings or {},
    )


def from_settings(name: str, entry: dict) -> ProviderConfig:
    """An entry of settings.LLM_PROVIDERS ({"kind", "api_key", "base_url", optionally "provider_type"}), with its
    windows from settings.MODEL_CONTEXT_WINDOWS."""
    default, models = None, {}
    for handle, tokens in settings.MODEL_CONTEXT_WINDOWS.items():
        provider, _, model = handle.partition("/")
        if provider == name and model == "*":
            default = tokens
        elif provider == name and model:
            models[model] = {"context_window": tokens}
    return provider_config(name, **entry, context_window=default, model_settings=models)


def from_record(record: Provider) -> ProviderConfig:
    config = provider_config(
        record.name,
        kind=record.kind,
        provider_type=record.provider_type,
        api_key=record.api_key,
        base_url=record.base_url or None,
        context_window=record.context_window,
        model_settings=record.model_settings,
    )
    return replace(config, user_supplied=is_user_supplied(config.base_url))


def find_provider(name: str, organization_id: str | None = None) -> ProviderConfig | None:
    """The environment's provider of that name, else (given the organization) the one it created. Sync: it may
    query the database. Read on every call, never kept: a key changed or a provider deleted through the API (in
    any process) takes effect on the next request."""
    entry = settings.LLM_PROVIDERS.get(name)
    if entry is not None:
        return from_settings(name, entry)
    if organization_id is None:
        return None
    record = Provider.objects.for_organization(organization_id).filter(name=name).first()
    return None if record is None else from_record(record)


def resolve(handle: str, organization_id: str | None = None, *, context_window_limit: int | None = None) -> ModelConfig:
    """The config of a handle: the environment's providers first, then (given the organization) those created
    through the API. Sync, and it may query the database; async code calls `aresolve`."""
    try:
        name, model = parse_handle(handle)
    except ValueError as exc:
        raise ModelConfigError(str(exc)) from exc
    provider = find_provider(name, organization_id)
    if provider is None:
        known = ", ".join(sorted(settings.LLM_PROVIDERS))
        raise ModelConfigError(
            f"No provider named '{name}' is configured for model '{handle}'. Configured providers: {known}, "
            f"and those created with POST /v1/providers/. Create one named '{name}', or set "
            f"{name.upper()}_BASE_URL (and {name.upper()}_API_KEY if needed) to add it."
        )
    if not provider.base_url:
        raise ModelConfigError(missing_base_url(name, provider.kind))
    return _bind(handle, provider, context_window_limit, organization_id)


def _bind(handle: str, provider: ProviderConfig, limit: int | None, organization_id: str | None) -> ModelConfig:
    """The handle on that provider: the id its server wants on the wire (an alias's or a readable name's model,
    from the provider's settings and its last model list) and the window `context_window_of` picks."""
    model = handle.partition("/")[2]
    wire = wire_model(provider, model, organization_id)
    window = context_window_of(handle, limit, organization_id, provider=provider)
    return ModelConfig(handle, wire, provider, window.tokens)


async def aresolve(handle: str, organization_id: str | None, *, context_window_limit: int | None = None) -> ModelConfig:
    """`resolve` for async code about to call the model; the environment's providers are found without leaving the
    event loop. A provider the organization created is checked against the outbound policy first (its host is
    resolved again now: it may point elsewhere than when it was stored)."""
    if organization_id is None or handle.partition("/")[0] in settings.LLM_PROVIDERS:
        config = resolve(handle, context_window_limit=context_window_limit)
    else:
        config = await sync_to_async(resolve)(handle, organization_id, context_window_limit=context_window_limit)
        # A DNS lookup, on a thread of its own: the request's database stages share a few threads (letta_project/db.py).
        await asyncio.to_thread(config.provider.check_address)
    if await learn_model_ids(config, organization_id):
        config = _bind(handle, config.provider, context_window_limit, organization_id)
    if context_window_limit is None and not is_embedding_model(config.model):
        await learn_context_window(config, organization_id)
        config = _bind(handle, config.provider, context_window_limit, organization_id)
    return config


def describe(
    handle: str, organization_id: str | None = None, *, context_window_limit: int | None = None
) -> ModelConfig:
    """`resolve`, or for a handle no provider serves (not configured, or deleted since) what its name alone says,
    with no address, so an agent on it still renders. For showing, never for calling: the loop calls `resolve`,
    which says what to configure."""
    try:
        return resolve(handle, organization_id, context_window_limit=context_window_limit)
    except ModelConfigError:
        pass
    name, slash, model = handle.partition("/")
    if not slash:
        name, model = "", handle
    entry = settings.LLM_PROVIDERS.get(name)
    if entry is not None:
        provider = from_settings(name, entry)
    else:
        guess = provider_config(name, kind="anthropic" if name == "anthropic" else "openai_compatible")
        provider = replace(guess, base_url=None)
    return ModelConfig(handle, model, provider, context_window_for(handle, context_window_limit))


def output_cap(max_tokens: int | None, context_window: int) -> int:
    """The max_tokens every model call sends: the agent's, else LETTA_DEFAULT_MAX_TOKENS, and never more than half
    the context window, so the prompt keeps room and a small model cannot run away filling its window."""
    return max(1, min(max_tokens or settings.DEFAULT_MAX_TOKENS, context_window // 2))


# ------------------------------------------------------------------------------------------ context windows

# Where a window came from, first source that says wins (`context_window_of`).
AGENT, MODEL_SETTING, KNOWN_MODEL, SERVER, PROVIDER_DEFAULT, GUESS, DEFAULT = (
    "agent",
    "model_setting",
    "known_model",
    "server",
    "provider_default",
    "guess",
    "default",
)
_UNSET = object()


@dataclass(frozen=True, slots=True)
class ContextWindow:
    tokens: int
    source: str  # one of the names above

    @property
    def is_guess(self) -> bool:
        """Nobody said: the agent, the provider's settings, the model's name and its server are all silent."""
        return self.source == GUESS


def context_window_of(
    handle: str,
    limit: int | None,
    organization_id: str | None = None,
    *,
    provider=_UNSET,
    served: int | None = None,
) -> ContextWindow:
    """The one precedence for a model's window: the agent's own `context_window_limit` > the provider's setting
    for the model > a known model's window > what its server said (`served`: a model list's figure, else what
    `learn_context_window` heard) > the provider's default > for a model of an OpenAI-compatible server,
    LETTA_UNKNOWN_CONTEXT_WINDOW (a guess); else LETTA_DEFAULT_CONTEXT_WINDOW, which also caps all but the agent's.

    `provider` (a ProviderConfig, or None for a handle no provider serves) saves looking it up; looking up one
    the organization created queries the database, so async code passes it."""
    if limit:
        return ContextWindow(limit, AGENT)
    name, _, model = handle.partition("/")
    if provider is _UNSET:
        provider = find_provider(name, organization_id)
    wire = wire_model(provider, model, organization_id) if provider else model
    for source, tokens in _window_sources(provider, model, wire, organization_id, served):
        if tokens:
            return ContextWindow(min(tokens, settings.DEFAULT_CONTEXT_WINDOW), source)
    if _compatible(name, provider):
        return ContextWindow(min(settings.UNKNOWN_CONTEXT_WINDOW, settings.DEFAULT_CONTEXT_WINDOW), GUESS)
    return ContextWindow(settings.DEFAULT_CONTEXT_WINDOW, DEFAULT)


def _window_sources(provider, model: str, wire: str, organization_id: str | None, served: int | None):
    # Lazily, in precedence order: a source is asked only when those before it were silent.
    yield MODEL_SETTING, provider.setting_for(model, wire).get("context_window") if provider else None
    yield KNOWN_MODEL, known_window(model) or known_window(wire)
    yield SERVER, served or (served_window(provider, wire, organization_id) if provider else None)
    yield PROVIDER_DEFAULT, provider.context_window if provider else None


def context_window_for(handle: str, limit: int | None, organization_id: str | None = None) -> int:
    """The window `context_window_of` picks, in tokens."""
    return context_window_of(handle, limit, organization_id).tokens


def context_window_is_guess(handle: str, limit: int | None, organization_id: str | None = None) -> bool:
    """True when the window comes from no one's word (see `ContextWindow.is_guess`)."""
    return context_window_of(handle, limit, organization_id).is_guess


def known_window(model: str) -> int | None:
    for prefix, window in sorted(KNOWN_CONTEXT_WINDOWS.items(), key=lambda kv: -len(kv[0])):
        if model.startswith(prefix):
            return window
    return None


def _compatible(name: str, provider: ProviderConfig | None) -> bool:
    """Whether the model is on another server than OpenAI's or Anthropic's own API; a handle no provider serves
    tells by its name."""
    return not provider.official if provider else name not in ("openai", "anthropic")


# ------------------------------------------------------------------------------------------ what servers say
#
# What an OpenAI-compatible server said about a model's window (llama.cpp's n_ctx, Ollama's num_ctx, vLLM's
# max_model_len) and which model ids it lists, kept per process for SERVED_WINDOW_SECONDS, also when it could not
# tell (not asked again at every run). Kept per organization for its own providers: two organizations' "local"
# are different servers.
SERVED_WINDOW_SECONDS = 600.0
_served: dict[tuple, tuple[int | None, float]] = {}
_listed: dict[tuple, tuple[tuple[str, ...], float]] = {}


def _server_key(provider: ProviderConfig, organization_id: str | None) -> tuple:
    # A provider recreated at another address is another server.
    scope = None if provider.name in settings.LLM_PROVIDERS else organization_id
    return scope, provider.name, provider.base_url


def served_window(provider: ProviderConfig, model: str, organization_id: str | None = None) -> int | None:
    """What the provider's server said it serves `model` (a served id) with, if it was asked lately."""
    window, _ = _served.get((*_server_key(provider, organization_id), model), (None, 0.0))
    return window


def listed_ids(provider: ProviderConfig, organization_id: str | None = None) -> tuple[str, ...]:
    """The model ids the provider's server last listed to this process (none when not asked yet)."""
    ids, _ = _listed.get(_server_key(provider, organization_id), ((), 0.0))
    return ids


def _remember_listing(provider: ProviderConfig, organization_id: str | None, ids) -> None:
    _listed[_server_key(provider, organization_id)] = (tuple(ids), time.monotonic())


def wire_model(provider: ProviderConfig, model: str, organization_id: str | None = None) -> str:
    """The id the provider's server wants for a handle's model part (agents.model_names.wire_id)."""
    return wire_id(model, [*listed_ids(provider, organization_id), *provider.model_settings], provider.aliases)


def _fresh(entry: tuple | None) -> bool:
    return entry is not None and time.monotonic() - entry[1] < SERVED_WINDOW_SECONDS


async def learn_model_ids(config: ModelConfig, organization_id: str | None) -> bool:
    """Ask a compatible server which model ids it lists when the handle's model part is a name none of the
    provider's settings or its last list explains (perhaps the readable name of a file path), unless asked lately.
    True when the list is new. Never fails: a server that cannot tell leaves the name as it is."""
    provider, model = config.provider, config.handle.partition("/")[2]
    if provider.official or provider.client_kind != "openai" or is_path_like(model):
        return False
    explained = (*provider.aliases.values(), *provider.model_settings, *listed_ids(provider, organization_id))
    if model in explained or _fresh(_listed.get(_server_key(provider, organization_id))):
        return False
    try:
        ids = [info.name for info in await _provider_models(provider, organization_id)]
    except Exception:  # asking is a courtesy; the run goes on with the name as given
        log.warning("listing the models of %s failed", provider.base_url, exc_info=True)
        ids = []
    _remember_listing(provider, organization_id, ids)
    return True


async def learn_context_window(config: ModelConfig, organization_id: str | None) -> None:
    """Ask a compatible server what window it serves a model no name describes (and how its tokenizer counts,
    where it has one), unless asked lately. Never fails: a server that cannot tell leaves the guess."""
    if config.provider.official or config.provider.client_kind != "openai":
        return
    key = (*_server_key(config.provider, organization_id), config.model)
    if _fresh(_served.get(key)):
        return
    if known_window(config.model) or known_window(config.handle.partition("/")[2]):
        return
    client = config.client
    try:
        window = await client.served_context_window(config.model)
        await learn_token_ratio(config.model, client.server_token_ratio)
    except Exception:  # asking is a courtesy; the run goes on with the guess
        log.warning("asking %s about model %s failed", config.provider.base_url, config.model, exc_info=True)
        window = None
    _served[key] = (window, time.monotonic())


def forget_served_windows() -> None:
    """For tests that swap servers behind a handle."""
    _served.clear()
    _listed.clear()
    forget_token_ratios()


LIST_TIMEOUT_SECONDS = 10.0


def _usable(name: str, entry: dict) -> bool:
    # The built-in openai/anthropic entries exist even with nothing set; asking them would only time out.
    return bool(entry.get("api_key") or entry.get("base_url")) or name not in ("openai", "anthropic")


def _providers(organization_id: str | None) -> list[ProviderConfig]:
    """Every provider the organization can use: the environment's, then its own records (a name the environment
    uses is the environment's)."""
    providers = {n: from_settings(n, e) for n, e in settings.LLM_PROVIDERS.items() if _usable(n, e)}
    if organization_id is not None:
        for record in Provider.objects.for_organization(organization_id).order_by("created_at", "id"):
            providers.setdefault(record.name, from_record(record))
    return list(providers.values())


def is_embedding_model(model: str) -> bool:
    # Providers' model lists do not say what a model is for; embedding models are named for it
    # (text-embedding-3-small, nomic-embed-text, mxbai-embed-large, bge-m3, e5-large, ...).
    lowered = model.lower()
    return "embed" in lowered or lowered.startswith(("bge-", "e5-", "gte-"))


async def _provider_models(provider: ProviderConfig, organization_id: str | None) -> list:
    """The models its server lists (ModelInfo), remembered for mapping readable handles back (`wire_model`)."""
    if provider.user_supplied:
        await asyncio.to_thread(provider.check_address)
    models = await asyncio.wait_for(provider.client().list_models(), LIST_TIMEOUT_SECONDS)
    models = [info for info in models if _plain(info)]
    _remember_listing(provider, organization_id, [info.name for info in models])
    return models


def _plain(info) -> bool:
    # A provider's model list is whatever its server sent: an entry whose id is not a short string (an object, a
    # whole document from a server that is not a model API) is not a model, and is not repeated to the caller.
    return isinstance(info.name, str) and 0 < len(info.name) <= 200 and "\n" not in info.name


async def _all_models(organization_id: str | None) -> list[tuple[ProviderConfig, object, str]]:
    """(provider, model info, its handle) for every model every usable provider lists. A provider that is down
    (or not configured well enough to ask) is left out and logged, so one unreachable local server does not hide
    the others. Handles use readable names (agents.model_names), one model per handle."""
    providers = await sync_to_async(_providers)(organization_id) if organization_id else _providers(None)
    asked = (_provider_models(p, organization_id) for p in providers)
    results = await asyncio.gather(*asked, return_exceptions=True)
    found = []
    for provider, result in zip(providers, results, strict=True):
        if isinstance(result, BaseException):
            log.warning("listing models of provider %s failed: %s", provider.name, result)
            continue
        names = readable_names([info.name for info in result], provider.aliases)
        handles = set()
        for info in result:
            handle = f"{provider.name}/{names[info.name]}"
            if handle not in handles:  # a listed id an alias shadows is reached by the alias's model only
                handles.add(handle)
                found.append((provider, info, handle))
    return found


async def list_models(organization_id: str | None = None) -> list[dict]:
    """The chat models of the providers the organization can use (`GET /v1/models/`), as the SDK's Model: `name`
    and `model` are the id the server serves, `handle` and `display_name` the readable name."""
    models = []
    for provider, info, handle in await _all_models(organization_id):
        if is_embedding_model(info.name):
            continue
        window = context_window_of(handle, None, organization_id, provider=provider, served=info.context_window)
        models.append(
            {
                "handle": handle,
                "name": info.name,
                "model": info.name,
                "display_name": info.display_name or handle.partition("/")[2],
                "provider_name": provider.name,
                "provider_type": provider.provider_type,
                "model_endpoint_type": provider.model_endpoint_type,
                "model_endpoint": provider.base_url,
                "compatibility_type": "gguf" if info.name.lower().endswith(".gguf") else None,
                "context_window": window.tokens,
                # A guessed window must not cap what the agent may set: the server may well serve more.
                "max_context_window": settings.DEFAULT_CONTEXT_WINDOW if window.is_guess else window.tokens,
                "context_window_is_guess": window.is_guess,
                "context_window_source": window.source,
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
    for provider, info, handle in await _all_models(organization_id):
        if provider.client_kind == "anthropic" or not is_embedding_model(info.name):
            continue
        models.append(
            {
                "handle": handle,
                "name": info.name,
                "embedding_model": info.name,
                "display_name": info.display_name or info.name,
                "provider_name": provider.name,
                "provider_type": provider.provider_type,
                "embedding_endpoint_type": provider.embedding_endpoint_type,
                "embedding_endpoint": provider.base_url,
                "embedding_dim": embedding_dim_for(info.name),
                "embedding_chunk_size": EMBEDDING_CHUNK_SIZE,
                "model_type": "embedding",
            }
        )
    return models
