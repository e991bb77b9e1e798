"""Archival memory: passages an agent stores and searches later.

Search ranks by full text (`memory.search_index`: FTS5 bm25 on SQLite, tsvector on PostgreSQL) and, when the
caller passes an `embed_fn`, fuses that ranking with cosine similarity by reciprocal rank (`memory.vector_index`:
pgvector on PostgreSQL, Python over the JSON embeddings on SQLite).
"""

from collections.abc import Callable
from datetime import datetime
from itertools import islice

from django.db.models import Q

from accounts.errors import NotFoundError
from memory import search_index, vector_index
from memory.models import Passage
from memory.services import InvalidEditError, MemoryEditError

TAG_MATCH_MODES = ("any", "all")
MAX_TOP_K = 100
# Each side of a hybrid search contributes at most this many candidates to the fusion.
_FUSION_DEPTH = MAX_TOP_K
_NEWEST_FIRST = ("-created_at", "-id")

EmbedFn = Callable[[list[str]], list[list[float]]]


class PassageNotFoundError(NotFoundError, MemoryEditError):
    pass


def insert_passage(
    *,
    archive_id: str,
    organization_id: str,
    text: str,
    tags: list[str] | None = None,
    metadata: dict | None = None,
    embed_fn: EmbedFn | None = None,
    embedding_model: str | None = None,
    created_at: datetime | None = None,
) -> Passage:
    """Store a passage; with `embed_fn`, also its embedding, labelled `embedding_model` for later comparisons.
    `created_at` back-dates it (an import of older notes), which date-bounded searches then honour."""
    if not isinstance(text, str) or not text.strip():
        raise InvalidEditError("Archival memory content must not be empty: pass the text to store.")
    text = text.replace("\x00", "")
    tags = _clean_tags(tags)
    embedding = vector_index.embed_one(embed_fn, text) if embed_fn else None
    passage = Passage.objects.create(
        archive_id=archive_id,
        organization_id=organization_id,
        text=text,
        tags=tags,
        metadata=metadata or {},
        embedding=embedding,
        embedding_model=embedding_model if embed_fn else None,
    )
    if created_at is not None:  # auto_now_add ignores a value given to create()
        Passage.objects.filter(pk=passage.pk).update(created_at=created_at)
        passage.created_at = created_at
    return passage


def delete_passage(passage_id: str, *, archive_id: str | None = None) -> None:
    """Delete one passage; with `archive_id`, only if it belongs to that archive."""
    rows = Passage.objects.filter(pk=passage_id)
    if archive_id is not None:
        rows = rows.filter(archive_id=archive_id)
    deleted, _ = rows.delete()
    if not deleted:
        raise PassageNotFoundError(f"Archival memory passage '{passage_id}' does not exist.")


def list_passages(
    archive_id: str,
    *,
    search: str | None = None,
    ascending: bool = True,
    after: str | None = None,
    before: str | None = None,
    limit: int | None = 100,
) -> list[Passage]:
    """Passages of one archive in creation order; `after`/`before` are passage ids used as cursors.

    Embeddings are left unread (a list never shows them, and each is ~1,500 floats of JSON)."""
    rows = Passage.objects.filter(archive_id=archive_id).defer("embedding")
    if search:
        rows = rows.filter(text__icontains=search)
    for cursor, newer in ((after, ascending), (before, not ascending)):
        if cursor:
            rows = rows.filter(_beyond(archive_id, cursor, newer))
    order = ["created_at", "id"] if ascending else ["-created_at", "-id"]
    rows = rows.order_by(*order)
    return list(rows[:limit] if limit else rows)


def count_passages(archive_ids: list[str]) -> int:
    return Passage.objects.filter(archive_id__in=archive_ids).count()


def search_passages(
    *,
    archive_ids: list[str],
    query: str,
    tags: list[str] | None = None,
    tag_match_mode: str = "any",
    top_k: int | None = 5,
    start_datetime: datetime | None = None,
    end_datetime: datetime | None = None,
    embed_fn: EmbedFn | None = None,
    embedding_model: str | None = None,
    newest_without_query: bool = False,
) -> list[dict]:
    """The best `top_k` passages for `query`: `{id, timestamp, content, tags, relevance}`, best first.

    A query without words finds nothing, unless `newest_without_query`: then the newest passages that pass the
    tag and date filters come back, with relevance 0.

    Without `embed_fn`, relevance is the full-text score. With it, the full-text ranking and the cosine ranking of
    passages embedded by the same `embedding_model` are fused by reciprocal rank (k=60), and relevance is the fused
    score: a passage that shares no word with the query can still be found by meaning. Passages stored before
    embeddings were configured take part through full text only.
    """
    if tag_match_mode not in TAG_MATCH_MODES:
        raise ValueError(f"tag_match_mode must be 'any' or 'all', not {tag_match_mode!r}.")
    terms = search_index.query_terms(query)
    if not terms and not newest_without_query:
        return []
    top_k = max(1, min(int(top_k or 5), MAX_TOP_K))
    rows = Passage.objects.filter(archive_id__in=archive_ids)
    if start_datetime:
        rows = rows.filter(created_at__gte=start_datetime)
    if end_datetime:
        rows = rows.filter(created_at__lte=end_datetime)
    wanted = set(_clean_tags(tags))

    def kept(hits):
        # Tags are a JSON list, which SQLite cannot query by containment; filtering the ranked stream in Python
        # keeps one code path for every database and stops as soon as enough passages qualify.
        return ((p, score) for p, score in hits if not wanted or _tags_match(wanted, p.tags, tag_match_mode))

    # Results never show embeddings, and decoding one (a JSON list of ~1,500 floats) costs more than the rest of
    # the row; only the Python vector side reads them.
    if not terms:
        newest = ((p, 0.0) for p in rows.defer("embedding").order_by(*_NEWEST_FIRST).iterator())
        return [_result(p, score) for p, score in islice(kept(newest), top_k)]
    text_hits = kept(search_index.ranked(rows.defer("embedding"), terms, newest_first=_NEWEST_FIRST))
    if embed_fn is None:
        return [_result(p, score) for p, score in islice(text_hits, top_k)]

    text_side = list(islice(text_hits, _FUSION_DEPTH))
    # Vectors of two models are not comparable, so only passages embedded by the same model take part.
    nearest = vector_index.nearest(
        rows.filter(embedding_model=embedding_model),
        vector_index.embed_one(embed_fn, query),
        newest_first=_NEWEST_FIRST,
    )
    vector_side = list(islice(kept(nearest), _FUSION_DEPTH))
    passages = {p.id: p for p, _ in text_side + vector_side}
    fused = search_index.reciprocal_rank_fusion([p.id for p, _ in text_side], [p.id for p, _ in vector_side])
    return [_result(passages[pid], score) for pid, score in fused[:top_k]]


def _result(passage: Passage, relevance: float) -> dict:
    return {
        "id": passage.id,
        "timestamp": passage.created_at.isoformat(),
        "content": passage.text,
        "tags": passage.tags,
        "relevance": search_index.rounded(relevance),
    }


def _tags_match(wanted: set[str], tags, mode: str) -> bool:
    have = set(tags or [])
    return wanted <= have if mode == "all" else bool(wanted & have)


def _clean_tags(tags) -> list[str]:
    if tags is None:
        return []
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise InvalidEditError('tags must be a list of strings, e.g. ["meetings", "project-x"].')
    return list(dict.fromkeys(t.strip() for t in tags if t.strip()))


def _beyond(archive_id: str, cursor_id: str, newer: bool) -> Q:
    cursor = Passage.objects.filter(archive_id=archive_id, pk=cursor_id).values("created_at", "id").first()
    if cursor is None:
        raise PassageNotFoundError(f"Archival memory passage '{cursor_id}' (used as a cursor) does not exist.")
    if newer:
        return Q(created_at__gt=cursor["created_at"]) | Q(created_at=cursor["created_at"], id__gt=cursor["id"])
    return Q(created_at__lt=cursor["created_at"]) | Q(created_at=cursor["created_at"], id__lt=cursor["id"])
