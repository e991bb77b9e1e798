"""Archival memory: passages an agent stores and searches later.

Search is a portable ranking for now (any query term filters in SQL, a term-frequency score ranks in Python);
full-text indexes (SQLite FTS5, PostgreSQL tsvector) and vector similarity replace the ranking later without
changing these signatures.
"""

import re
from datetime import datetime

from django.db.models import Q

from memory.models import Passage
from memory.services import InvalidEditError, MemoryEditError

TAG_MATCH_MODES = ("any", "all")
MAX_TOP_K = 100
# Ranking reads at most this many candidate rows, newest first, so a broad query on a huge archive stays cheap.
_MAX_CANDIDATES = 2000
_WORD = re.compile(r"\w+", re.UNICODE)


class PassageNotFoundError(MemoryEditError):
    pass


def insert_passage(*, archive_id: str, organization_id: str, text: str, tags: list[str] | None = None,
                   metadata: dict | None = None) -> Passage:
    if not isinstance(text, str) or not text.strip():
        raise InvalidEditError("Archival memory content must not be empty: pass the text to store.")
    return Passage.objects.create(
        archive_id=archive_id, organization_id=organization_id, text=text.replace("\x00", ""),
        tags=_clean_tags(tags), metadata=metadata or {},
    )


def delete_passage(passage_id: str, *, archive_id: str | None = None) -> None:
    """Delete one passage; with `archive_id`, only if it belongs to that archive."""
    rows = Passage.objects.filter(pk=passage_id)
    if archive_id is not None:
        rows = rows.filter(archive_id=archive_id)
    deleted, _ = rows.delete()
    if not deleted:
        raise PassageNotFoundError(f"Archival memory passage '{passage_id}' does not exist.")


def list_passages(archive_id: str, *, search: str | None = None, ascending: bool = True, after: str | None = None,
                  before: str | None = None, limit: int | None = 100) -> list[Passage]:
    """Passages of one archive in creation order; `after`/`before` are passage ids used as cursors."""
    rows = Passage.objects.filter(archive_id=archive_id)
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


def search_passages(*, archive_ids: list[str], query: str, tags: list[str] | None = None,
                    tag_match_mode: str = "any", top_k: int | None = 5, start_datetime: datetime | None = None,
                    end_datetime: datetime | None = None) -> list[dict]:
    """The best `top_k` passages for `query`: `{id, timestamp, content, tags, relevance}`, best first."""
    if tag_match_mode not in TAG_MATCH_MODES:
        raise ValueError(f"tag_match_mode must be 'any' or 'all', not {tag_match_mode!r}.")
    terms = [t.lower() for t in _WORD.findall(query or "")]
    if not terms:
        return []
    rows = Passage.objects.filter(archive_id__in=archive_ids)
    if start_datetime:
        rows = rows.filter(created_at__gte=start_datetime)
    if end_datetime:
        rows = rows.filter(created_at__lte=end_datetime)
    any_term = Q()
    for term in set(terms):
        any_term |= Q(text__icontains=term)
    wanted = set(_clean_tags(tags))
    scored = []
    # Tags are a JSON list; filtering them in Python keeps the query the same on SQLite and PostgreSQL.
    for passage in rows.filter(any_term).order_by("-created_at", "-id").iterator():
        if wanted and not _tags_match(wanted, passage.tags, tag_match_mode):
            continue
        scored.append((_score(passage.text, terms), passage))
        if len(scored) >= _MAX_CANDIDATES:
            break
    scored.sort(key=lambda item: -item[0])  # stable: equal scores stay newest first
    top_k = max(1, min(int(top_k or 5), MAX_TOP_K))
    return [
        {
            "id": p.id,
            "timestamp": p.created_at.isoformat(),
            "content": p.text,
            "tags": p.tags,
            "relevance": round(score, 4),
        }
        for score, p in scored[:top_k]
    ]


def _score(text: str, terms: list[str]) -> float:
    words = [w.lower() for w in _WORD.findall(text)]
    # Dividing by sqrt(length) keeps a long passage that mentions a term once from outranking a short, focused one.
    return sum(words.count(t) for t in terms) / (len(words) ** 0.5 or 1)


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
