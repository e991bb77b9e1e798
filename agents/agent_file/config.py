"""Model settings between Letta's `llm_config` / `embedding_config` and our model handles and agent fields.

Letta files name a model several ways: a `model` handle (newer CreateAgent), `llm_config.handle`, or only
`llm_config.provider_name` / `model_endpoint_type` plus `model`. We store one handle, "provider/model", and the
sampling settings as agent fields; on export we write a full `llm_config` so Letta can read the file back.
"""

from django.conf import settings

from agents.agent_file.errors import AgentFileError
from agents.providers import describe

# Letta requires an embedding dimension; we do not store one, so well-known models get theirs.
EMBEDDING_DIMS = {"text-embedding-3-small": 1536, "text-embedding-3-large": 3072, "text-embedding-ada-002": 1536}
DEFAULT_EMBEDDING_DIM = 1536
DEFAULT_CHUNK_SIZE = 300


def _handle(explicit, config: dict, model_key: str, type_key: str) -> str | None:
    if isinstance(explicit, str) and "/" in explicit:
        return explicit
    if isinstance(config.get("handle"), str) and "/" in config["handle"]:
        return config["handle"]
    model = config.get(model_key) or (explicit if isinstance(explicit, str) else None)
    # Letta's provider_name is the provider as its user named it, which is what our handles name too.
    provider = config.get("provider_name") or config.get(type_key)
    if model and provider:
        return f"{provider}/{model}"
    return None


def agent_settings(raw: dict, model_override: str | None, embedding_override: str | None = None) -> dict:
    """create_agent's model keyword arguments for one agent entry of a file."""
    where = f"Agent {raw['id']}"
    llm = _section(raw, "llm_config", where)
    tuning = _section(raw, "model_settings", where)
    model = model_override or _handle(raw.get("model"), llm, "model", "model_endpoint_type") or settings.DEFAULT_MODEL
    if not model:
        raise AgentFileError(
            f"{where} names no model (no 'model' handle and no 'llm_config'): pass a model such as "
            "'openai/gpt-4.1-mini' to the import."
        )
    # The file's context window belongs to the file's model; with another model we use that model's own.
    window = raw.get("context_window_limit") or (None if model_override else llm.get("context_window"))
    temperature = _first(llm.get("temperature"), tuning.get("temperature"))
    return {
        "model": model,
        "embedding": embedding_override
        or _handle(
            raw.get("embedding"), _section(raw, "embedding_config", where), "embedding_model", "embedding_endpoint_type"
        ),
        "temperature": _number(temperature, f"{where} temperature"),
        "max_tokens": _count(
            _first(raw.get("max_tokens"), llm.get("max_tokens"), tuning.get("max_output_tokens")), f"{where} max_tokens"
        ),
        "context_window_limit": _count(window, f"{where} context_window"),
        "parallel_tool_calls": bool(
            _first(raw.get("parallel_tool_calls"), llm.get("parallel_tool_calls"), tuning.get("parallel_tool_calls"))
        ),
    }


def llm_config(agent) -> dict:
    config = describe(agent.model, agent.organization_id, context_window_limit=agent.context_window_limit)
    return {
        "model": config.model,
        "display_name": None,
        "model_endpoint_type": config.provider.model_endpoint_type,
        # Our endpoint URLs are this server's configuration, not the agent's; Letta fills in its own.
        "model_endpoint": None,
        "provider_name": config.provider.name,
        "provider_category": "base",
        "model_wrapper": None,
        "context_window": config.context_window,
        "put_inner_thoughts_in_kwargs": False,
        "handle": agent.model,
        "temperature": agent.temperature,
        "max_tokens": agent.max_tokens,
        "enable_reasoner": False,
        "reasoning_effort": None,
        "max_reasoning_tokens": 0,
        "frequency_penalty": None,
        "compatibility_type": None,
        "verbosity": None,
        "tier": None,
        "parallel_tool_calls": agent.parallel_tool_calls,
    }


def embedding_config(agent) -> dict | None:
    if not agent.embedding:
        return None
    config = describe(agent.embedding, agent.organization_id)
    model = config.model
    return {
        "embedding_endpoint_type": config.provider.embedding_endpoint_type,
        "embedding_endpoint": None,
        "embedding_model": model,
        "embedding_dim": EMBEDDING_DIMS.get(model, DEFAULT_EMBEDDING_DIM),
        "embedding_chunk_size": DEFAULT_CHUNK_SIZE,
        "handle": agent.embedding,
        "batch_size": 32,
        "azure_endpoint": None,
        "azure_version": None,
        "azure_deployment": None,
    }


def _section(raw: dict, key: str, where: str) -> dict:
    value = raw.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise AgentFileError(f"{where}: '{key}' must be an object.")
    return value


def _first(*values):
    return next((v for v in values if v is not None), None)


def _number(value, where: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise AgentFileError(f"{where} must be a number, not {value!r}.")
    return float(value)


def _count(value, where: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise AgentFileError(f"{where} must be a positive whole number, not {value!r}.")
    return value
