"""Finding an organization's tools by words (`POST /v1/tools/search`).

Ranked in Python over the organization's tools rather than in SQL: an organization has tens or hundreds of tools,
and this ranks the same on SQLite and PostgreSQL. There are no tool embeddings, so there is no vector side.
"""

import re
from dataclasses import dataclass

from tools.models import Tool

_WORD = re.compile(r"\w+")


@dataclass(frozen=True, slots=True)
class ToolMatch:
    tool: Tool
    score: float
    rank: int | None  # position among the text matches; None when no query was given


def _words(text: str | None) -> set[str]:
    return {w.lower() for w in _WORD.findall(text or "")}


def _score(tool: Tool, wanted: set[str]) -> float:
    # A hit in the name counts most, then the tags, then the description; a name split on underscores counts
    # its parts, so "weather" finds get_weather.
    name = _words(tool.name.replace("_", " ")) | {tool.name.lower()}
    tags = {t.lower() for t in tool.tags or []}
    description = _words(tool.description)
    return sum(3.0 * (w in name) + 2.0 * (w in tags) + 1.0 * (w in description) for w in wanted)


def search_tools(
    organization_id: str,
    *,
    query: str | None,
    tags: list[str] | None = None,
    tool_types: list[str] | None = None,
    limit: int = 50,
) -> list[ToolMatch]:
    tools = Tool.objects.for_organization(organization_id).order_by("created_at", "id")
    if tool_types:
        tools = tools.filter(tool_type__in=tool_types)
    candidates = list(tools)
    if tags:
        wanted_tags = set(tags)
        candidates = [t for t in candidates if wanted_tags & set(t.tags or [])]
    wanted = _words(query)
    if not wanted:
        return [ToolMatch(tool=t, score=0.0, rank=None) for t in candidates[:limit]]
    scored = sorted(((_score(t, wanted), t) for t in candidates), key=lambda pair: -pair[0])
    hits = [(score, tool) for score, tool in scored if score > 0][:limit]
    return [ToolMatch(tool=tool, score=score, rank=index + 1) for index, (score, tool) in enumerate(hits)]
