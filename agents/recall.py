"""Recall memory: every message an agent ever exchanged, in context or not, searchable.

A portable ranking for now (term filter in SQL, term-frequency score in Python); full-text indexes on SQLite FTS5
and PostgreSQL come with the context-budget work.
"""

import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Q
from django.utils import timezone

from agents.models import Message

SEARCHABLE_ROLES = ("user", "assistant", "summary")
_WORD = re.compile(r"\w+", re.UNICODE)


def _bound(value: str | None, tz: str, *, end: bool) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(f"'{value}' is not an ISO date or datetime (e.g. 2025-01-31 or 2025-01-31T14:00).") from exc
    if len(value) <= 10:  # a date alone covers the whole day
        parsed = datetime.combine(parsed.date(), time.max if end else time.min)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=ZoneInfo(tz or "UTC"))
    return parsed


def _time_ago(moment: datetime) -> str:
    delta = timezone.now() - moment
    if delta < timedelta(minutes=1):
        return "just now"
    if delta < timedelta(hours=1):
        return f"{int(delta.total_seconds() // 60)} minutes ago"
    if delta < timedelta(days=1):
        return f"{int(delta.total_seconds() // 3600)} hours ago"
    return f"{delta.days} days ago"


def search_messages(agent_id: str, query: str | None = None, roles: list[str] | None = None, limit: int = 5,
                    start_date: str | None = None, end_date: str | None = None, tz: str = "UTC") -> list[dict]:
    roles = [r for r in (roles or SEARCHABLE_ROLES) if r in SEARCHABLE_ROLES] or list(SEARCHABLE_ROLES)
    rows = Message.objects.filter(agent_id=agent_id, role__in=roles).exclude(text="")
    if start := _bound(start_date, tz, end=False):
        rows = rows.filter(created_at__gte=start)
    if end := _bound(end_date, tz, end=True):
        rows = rows.filter(created_at__lte=end)
    terms = [t.lower() for t in _WORD.findall(query or "")]
    if terms:
        any_term = Q()
        for term in terms:
            any_term |= Q(text__icontains=term)
        rows = rows.filter(any_term)
    scored = []
    for message in rows.order_by("-sequence_id")[:1000]:
        words = [w.lower() for w in _WORD.findall(message.text)]
        score = sum(words.count(t) for t in terms) / (len(words) ** 0.5 or 1) if terms else 0.0
        scored.append((score, message.sequence_id, message))
    scored.sort(key=lambda item: (-item[0], -item[1]))
    return [
        {
            "timestamp": m.created_at.isoformat(),
            "time_ago": _time_ago(m.created_at),
            "role": m.role,
            **({"relevance": round(score, 4)} if terms else {}),
            "content": m.text,
        }
        for score, _, m in scored[: max(1, min(int(limit or 5), 100))]
    ]
