"""The reply channel of legacy agents and the search over recall memory (the agent's whole message history)."""

from datetime import datetime, time
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tools.context import ToolContext

MAX_SEARCH_RESULTS = 100


class ToolInputError(ValueError):
    """A tool call with arguments the model can fix; `str()` is shown to the model as is."""


def send_message(ctx: ToolContext, message: str) -> str:
    """Send a message to the human user.

    Args:
        message: The message to send. All unicode (including emojis) is supported.
    """
    return "Sent message successfully."


def conversation_search(
    ctx: ToolContext,
    query: str | None = None,
    roles: list[Literal["assistant", "user", "tool"]] | None = None,
    limit: int | None = 5,
    start_date: str | None = None,
    end_date: str | None = None,
) -> dict[str, Any] | str:
    """Search your past conversation history (recall memory), including messages no longer in your context.

    Results are ranked by how well they match the query; without a query, the most recent messages that
    match the other filters are returned.

    Args:
        query: Words to look for in past messages. Leave it out to filter by role and date only.
        roles: Only return messages from these roles: "assistant", "user" or "tool".
        limit: The maximum number of results to return (default 5).
        start_date: Only messages on or after this moment, ISO 8601: "2024-01-15" (from the start of that day)
            or "2024-01-15T14:30". Times without a timezone are in your timezone.
        end_date: Only messages on or before this moment, ISO 8601: "2024-01-20" (to the end of that day)
            or "2024-01-20T17:00".
    """
    if ctx.search_messages is None:
        raise ToolInputError("Conversation search is not available for this agent.")
    start = parse_date_arg("start_date", start_date, ctx.timezone, end=False)
    end = parse_date_arg("end_date", end_date, ctx.timezone, end=True)
    if start and end and start > end:
        raise ToolInputError(f"start_date ({start_date}) is after end_date ({end_date}); swap them or widen the range.")
    if limit is not None and limit < 1:
        raise ToolInputError(f"limit must be at least 1, not {limit}.")
    results = ctx.search_messages(query or None, roles or None, min(limit or 5, MAX_SEARCH_RESULTS), start, end)
    where = f"conversation {ctx.conversation_id}" if ctx.conversation_id else "your default conversation"
    if not results:
        return f"No results found in {where}."
    return {"message": f"Showing {len(results)} results from {where}:", "results": results}


def parse_date_arg(name: str, value: str | None, tz: str, *, end: bool) -> datetime | None:
    """An ISO date or datetime argument as an aware datetime; a date alone covers its whole day."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except (TypeError, ValueError, AttributeError):
        raise ToolInputError(f"Invalid {name} '{value}': use ISO 8601, e.g. 2024-01-15 or 2024-01-15T14:30.") from None
    if len(value.strip()) <= 10:
        parsed = datetime.combine(parsed.date(), time.max if end else time.min)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=_zone(tz))
    return parsed


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")
