"""Recall memory: every message an agent ever exchanged, in context or not, searchable.

Ranked by the full-text index on `Message.text` (`memory.search_index`: FTS5 bm25 on SQLite, tsvector on
PostgreSQL). Tool returns and the agent's own tool calls are never results: tool messages are not a searchable role,
and a call lives in `tool_calls`, not in `text`, so an assistant message that only called a tool has no text.
"""

from datetime import datetime, timedelta
from itertools import islice

from django.db.models import QuerySet
from django.utils import timezone

from agents.models import Message
from memory import search_index
from tools.builtin.core_tools import parse_date_arg

SEARCHABLE_ROLES = ("user", "assistant", "summary")
MAX_LIMIT = 100


def _bound(name: str, value: str | datetime | None, tz: str, *, end: bool) -> datetime | None:
    """A range bound: a datetime as given, or an ISO string read the way the conversation_search tool reads it."""
    if isinstance(value, datetime):
        return value
    return parse_date_arg(name, value, tz, end=end)


def _time_ago(moment: datetime) -> str:
    delta = timezone.now() - moment
    if delta < timedelta(minutes=1):
        return "just now"
    if delta < timedelta(hours=1):
        return f"{int(delta.total_seconds() // 60)} minutes ago"
    if delta < timedelta(days=1):
        return f"{int(delta.total_seconds() // 3600)} hours ago"
    return f"{delta.days} days ago"


def search_messages(
    agent_id: str,
    query: str | None = None,
    roles: list[str] | None = None,
    limit: int = 5,
    start_date: str | datetime | None = None,
    end_date: str | datetime | None = None,
    tz: str = "UTC",
    conversation_id: str | None = None,
) -> list[dict]:
    """Messages of one thread of an agent (its default one unless a conversation is named) matching `query`, best
    first; with no words in `query`, the most recent ones.

    Results are `{timestamp, time_ago, role, relevance, content}` (no relevance without a query). Dates are ISO;
    a date alone covers its whole day, and a time without an offset is in `tz`.
    """
    hits = matching_messages(
        Message.objects.filter(agent_id=agent_id, conversation_id=conversation_id),
        query,
        roles=roles,
        limit=limit,
        start_date=start_date,
        end_date=end_date,
        tz=tz,
    )
    return [
        {
            "timestamp": m.created_at.isoformat(),
            "time_ago": _time_ago(m.created_at),
            "role": m.role,
            **({"relevance": search_index.rounded(score)} if score is not None else {}),
            "content": m.text,
        }
        for m, score in hits
    ]


def matching_messages(
    messages: QuerySet[Message],
    query: str | None = None,
    *,
    roles: list[str] | None = None,
    limit: int = 5,
    start_date: str | datetime | None = None,
    end_date: str | datetime | None = None,
    tz: str = "UTC",
) -> list[tuple[Message, float | None]]:
    """The searchable messages of `messages` (an agent's, an organization's) matching `query`, best first, each
    with its relevance; with no words in `query`, the most recent ones, with relevance None."""
    roles = [r for r in (roles or SEARCHABLE_ROLES) if r in SEARCHABLE_ROLES] or list(SEARCHABLE_ROLES)
    rows = messages.filter(role__in=roles).exclude(text="")
    if start := _bound("start_date", start_date, tz, end=False):
        rows = rows.filter(created_at__gte=start)
    if end := _bound("end_date", end_date, tz, end=True):
        rows = rows.filter(created_at__lte=end)
    limit = max(1, min(int(limit or 5), MAX_LIMIT))
    terms = search_index.query_terms(query)
    if terms:
        return list(islice(search_index.ranked(rows, terms, newest_first=("-sequence_id",)), limit))
    return [(message, None) for message in rows.order_by("-sequence_id")[:limit]]
