"""Writing passages into archival memory from outside a run (the API, the ADE), embedded as the agent's tools do.

`memory.archival` stores and searches passages but knows no agents; which embedding model a passage gets is the
agent's to say: its own, or, for an archive on its own, that of the oldest attached agent that has one. Vectors
are computed before any write, so no provider call runs inside a transaction. Without a model (or when its
provider fails) passages are stored without vectors and archival search uses full text.
"""

from asgiref.sync import async_to_sync
from django.db import transaction

from agents import services
from agents.models import Agent
from agents.runtime.embeddings import embed_texts, lookup
from memory import archival
from memory.archival import EmbedFn
from memory.models import Archive, Passage


def agent_embedder(agent: Agent, *texts: str) -> tuple[EmbedFn | None, str | None]:
    """(embed_fn, model) serving vectors for `texts` from the agent's embedding model; (None, None) without one."""
    vectors = async_to_sync(embed_texts)(agent, [t for t in texts if t.strip()])
    return (lookup(vectors), agent.embedding) if vectors else (None, None)


def archive_embedder(archive: Archive, *texts: str) -> tuple[EmbedFn | None, str | None]:
    """As `agent_embedder`, with the model of the oldest agent attached to the archive that has one."""
    agent = archive.agents.exclude(embedding__isnull=True).exclude(embedding="").order_by("created_at", "id").first()
    return agent_embedder(agent, *texts) if agent else (None, None)


def insert_passage(agent: Agent, *, text: str, tags: list[str] | None = None) -> Passage:
    """Store a passage in the agent's archive (created on first use), as its archival_memory_insert tool does.
    Raises a MemoryEditError for an empty text or malformed tags."""
    embed_fn, model = agent_embedder(agent, text)
    return archival.insert_passage(
        archive_id=services.ensure_archive(agent),
        organization_id=agent.organization_id,
        text=text,
        tags=tags,
        embed_fn=embed_fn,
        embedding_model=model,
    )


def search_agent_passages(agent: Agent, query: str, **filters) -> list[dict]:
    """The agent's passages ranked for `query` as its archival_memory_search tool ranks them: full text fused with
    similarity under the agent's own embedding model when it has one. `filters` are those of
    `memory.archival.search_passages` (tags, tag_match_mode, top_k, start_datetime, end_datetime)."""
    if agent.archive_id is None:
        return []
    embed_fn, model = agent_embedder(agent, query)
    return archival.search_passages(
        archive_ids=[agent.archive_id], query=query, embed_fn=embed_fn, embedding_model=model, **filters
    )


def delete_agent_passage(agent: Agent, passage_id: str) -> None:
    """Delete one passage of the agent's archive; a passage of any other archive is not found."""
    archival.delete_passage(passage_id, archive_id=agent.archive_id or "none")


def insert_archive_passages(archive: Archive, passages: list[dict]) -> list[Passage]:
    """Store passages (`text`, and optionally `tags`, `metadata`, `created_at`) in an archive, all or none.
    Raises a MemoryEditError for the first invalid one; then none is stored."""
    embed_fn, model = archive_embedder(archive, *[item["text"] for item in passages])
    with transaction.atomic():
        return [
            archival.insert_passage(
                archive_id=archive.id,
                organization_id=archive.organization_id,
                text=item["text"],
                tags=item.get("tags"),
                metadata=item.get("metadata"),
                created_at=item.get("created_at"),
                embed_fn=embed_fn,
                embedding_model=model,
            )
            for item in passages
        ]
