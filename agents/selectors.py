"""Reads of agents, always within one organization: the filters of Letta's `GET /v1/agents` (and `/count`), and
the ADE's lists."""

from datetime import UTC, datetime

from django.db.models import Count, DateTimeField, QuerySet, Value
from django.db.models.functions import Coalesce

from accounts.selectors import get_owned
from agents.models import Agent
from memory.models import Block
from memory.selectors import narrowed, with_tags

SORT_FIELDS = ("created_at", "updated_at", "last_run_completion")
# Agents that never ran sort as the oldest by last_run_completion; keyset cursors need a non-null key.
_NEVER = datetime(1970, 1, 1, tzinfo=UTC)


def agents_matching(
    organization_id: str,
    *,
    name: str | None = None,
    query_text: str | None = None,
    tags: list[str] | None = None,
    match_all_tags: bool = False,
    created_by_id: str | None = None,
    last_stop_reason: str | None = None,
    identity_id: str | None = None,
    identifier_keys: list[str] | None = None,
    template_id: str | None = None,
    base_template_id: str | None = None,
) -> QuerySet[Agent]:
    """An organization's agents narrowed by the list filters.

    Identities and templates do not exist on this server, so filtering by one matches no agent (rather than
    ignoring the filter and answering with agents that are not what was asked for).
    """
    agents = Agent.objects.for_organization(organization_id)
    if identity_id or identifier_keys or template_id or base_template_id:
        return agents.none()
    agents = narrowed(
        agents,
        name=name,
        name__icontains=query_text,
        created_by_id=created_by_id,
        last_stop_reason=last_stop_reason,
    )
    return with_tags(agents, tags or [], match_all=match_all_tags)


def sorted_by(agents: QuerySet[Agent], order_by: str) -> tuple[QuerySet[Agent], tuple[str, ...]]:
    """The queryset ready for keyset paging by `order_by` (one of SORT_FIELDS), and the key fields to page on."""
    if order_by == "last_run_completion":
        agents = agents.annotate(
            run_sort_key=Coalesce("last_run_completion", Value(_NEVER, output_field=DateTimeField()))
        )
        return agents, ("run_sort_key", "id")
    return agents, (order_by, "id")


def block_counts(agent_ids: list[str]) -> dict[str, int]:
    """How many blocks each of these agents holds, counted for these agents only (one query): a page of a list
    asks for its own rows, not a count grouped over the whole organization."""
    through = Agent.blocks.through.objects.filter(agent_id__in=agent_ids)
    return dict(through.values("agent_id").annotate(count=Count("id")).values_list("agent_id", "count"))


# What rendering an AgentState reads besides the agent row.
AGENT_STATE_RELATIONS = ("blocks", "tools", "managed_group")


def agent_of(organization_id: str, agent_id: str, *, with_relations: bool = False) -> Agent:
    """The agent, or 404 "Agent {id} not found.": another organization's agent is not found, never forbidden.
    `with_relations` prefetches its blocks and tools (what an AgentState or the agent page renders)."""
    agents = Agent.objects.prefetch_related(*AGENT_STATE_RELATIONS) if with_relations else Agent.objects.all()
    return get_owned(agents, organization_id, agent_id, "Agent")


def organization_tags(organization_id: str, *, search: str | None = None) -> list[str]:
    """The distinct tags on the organization's agents and blocks (`GET /v1/tags`), optionally only those
    containing `search` (case-insensitive).

    Tags are JSON lists, which SQLite cannot unnest; reading only the tag columns and merging them in Python is the
    same on every database.
    """
    # DISTINCT first: thousands of agents share a handful of tag lists, so only those few are decoded.
    rows = [
        *Agent.objects.for_organization(organization_id).values_list("tags", flat=True).order_by().distinct(),
        *Block.objects.for_organization(organization_id).values_list("tags", flat=True).order_by().distinct(),
    ]
    tags = {tag for row in rows for tag in (row or []) if isinstance(tag, str)}
    if search:
        tags = {tag for tag in tags if search.lower() in tag.lower()}
    return sorted(tags)


def agent_skills(agent: Agent, *, limit: int) -> tuple[list[dict], int]:
    """The first `limit` of the skills the agent's file carried, as the ADE lists them (name, source, file paths,
    SKILL.md), and how many there are."""
    shown = []
    for skill in agent.skills.all()[:limit]:
        files = skill.entry.get("files") or {}
        shown.append(
            {
                "name": skill.name,
                "source_url": skill.entry.get("source_url"),
                "paths": sorted(files),
                "skill_md": files.get("SKILL.md"),
            }
        )
    return shown, agent.skills.count()
