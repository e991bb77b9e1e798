"""Embeddings for archival memory, computed before a step's transaction (which must not wait on a provider)."""

import logging

from agents.llm import LLMError
from agents.providers import ModelConfigError, resolve
from agents.runtime.state import RunState
from agents.runtime.tool_calls import PlannedCall

log = logging.getLogger(__name__)

# The argument of each archival tool that is compared by meaning when the agent has an embedding model.
EMBEDDED_ARGUMENTS = {"archival_memory_insert": "content", "archival_memory_search": "query"}


async def prepare_embeddings(state: RunState, planned: list[PlannedCall]) -> None:
    """Embed what this step's archival calls need, before the step's transaction (which must not wait on a
    provider). Without an embedding model, or when its provider fails, archival memory works on text alone."""
    state.embeddings = {}
    if not state.agent.embedding:
        return
    texts = []
    for item in planned:
        value = (item.arguments or {}).get(EMBEDDED_ARGUMENTS.get(item.name, ""))
        if isinstance(value, str) and value.strip() and value not in texts:
            texts.append(value)
    if not texts:
        return
    try:
        embedder = resolve(state.agent.embedding)
        vectors = await embedder.client.embed(texts, embedder.model)
    except (ModelConfigError, LLMError) as exc:
        log.warning("agent %s: embedding with %s failed, archival memory uses full text only: %s",
                    state.agent.id, state.agent.embedding, exc)
        return
    state.embeddings = dict(zip(texts, vectors, strict=True))
