"""Embeddings for archival memory, computed before a step's transaction (which must not wait on a provider)."""

import logging
from typing import TYPE_CHECKING

from agents.llm import LLMError
from agents.providers import ModelConfigError, aresolve
from agents.runtime.state import RunState

if TYPE_CHECKING:  # tool_calls builds the tools' embed_fn from `lookup` below
    from agents.runtime.tool_calls import PlannedCall

log = logging.getLogger(__name__)

# The argument of each archival tool that is compared by meaning when the agent has an embedding model.
EMBEDDED_ARGUMENTS = {"archival_memory_insert": "content", "archival_memory_search": "query"}


async def prepare_embeddings(state: RunState, planned: "list[PlannedCall]") -> None:
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
    state.embeddings = await embed_texts(state.agent, texts)


async def embed_texts(agent, texts: list[str]) -> dict[str, list[float]]:
    """text -> vector with the agent's embedding model; empty when it has none or its provider fails."""
    if not agent.embedding or not texts:
        return {}
    try:
        embedder = await aresolve(agent.embedding, agent.organization_id)
        vectors = await embedder.client.embed(texts, embedder.model)
    except (ModelConfigError, LLMError) as exc:
        log.warning(
            "agent %s: embedding with %s failed, archival memory uses full text only: %s",
            agent.id,
            agent.embedding,
            exc,
        )
        return {}
    return dict(zip(texts, vectors, strict=True))


def lookup(embeddings: dict[str, list[float]]):
    """An `embed_fn` for memory.archival that serves vectors computed beforehand."""

    def embed_fn(texts: list[str]) -> list[list[float]]:
        missing = [t for t in texts if t not in embeddings]
        if missing:
            raise ValueError(f"no embedding was computed for {missing[0][:60]!r}")
        return [embeddings[t] for t in texts]

    return embed_fn
