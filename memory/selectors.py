"""Reads of memory blocks for lists and filters (the REST API's `/v1/blocks`, the ADE)."""

from functools import reduce
from operator import and_, or_

from django.db.models import Count, Q, QuerySet

from memory.models import Block


def with_tags(queryset: QuerySet, tags: list[str], *, match_all: bool) -> QuerySet:
    """Rows of any model with a JSON `tags` list carrying any (or, with match_all, all) of `tags`, filtered by the
    database (the `has_tag` lookup of memory/lookups.py)."""
    if not tags:
        return queryset
    conditions = [Q(tags__has_tag=tag) for tag in dict.fromkeys(tags)]
    return queryset.filter(reduce(and_ if match_all else or_, conditions))


def narrowed(queryset: QuerySet, **lookups) -> QuerySet:
    """The queryset filtered by each lookup whose value was given: a list filter left empty (None, "", [])
    narrows nothing. The one way the selectors and the API's list views apply optional filters."""
    return queryset.filter(**{lookup: value for lookup, value in lookups.items() if value})


def blocks_matching(
    organization_id: str,
    *,
    label: str | None = None,
    label_search: str | None = None,
    value_search: str | None = None,
    description_search: str | None = None,
    templates_only: bool = False,
    tags: list[str] | None = None,
    match_all_tags: bool = False,
    connected_to_agents_count_gt: int | None = None,
    connected_to_agents_count_lt: int | None = None,
    connected_to_agents_count_eq: list[int] | None = None,
    include_hidden: bool = False,
) -> QuerySet[Block]:
    """An organization's blocks narrowed by the list filters of Letta's `GET /v1/blocks`.

    The searches are case-insensitive substring matches. Hidden blocks are left out unless asked for, as Letta
    does. `templates_only` keeps only templates; without it templates are listed with the rest.
    """
    blocks = Block.objects.for_organization(organization_id)
    if not include_hidden:
        blocks = blocks.filter(hidden=False)
    blocks = narrowed(
        blocks,
        label=label,
        label__icontains=label_search,
        value__icontains=value_search,
        description__icontains=description_search,
        is_template=templates_only,
    )
    blocks = with_tags(blocks, tags or [], match_all=match_all_tags)
    counted = (connected_to_agents_count_gt, connected_to_agents_count_lt, connected_to_agents_count_eq)
    if any(bound is not None for bound in counted):
        # `agents` is the reverse side of Agent.blocks; counted in SQL, so a page never loads the attachments.
        blocks = blocks.annotate(agent_count=Count("agents", distinct=True))
        if connected_to_agents_count_gt is not None:
            blocks = blocks.filter(agent_count__gt=connected_to_agents_count_gt)
        if connected_to_agents_count_lt is not None:
            blocks = blocks.filter(agent_count__lt=connected_to_agents_count_lt)
        if connected_to_agents_count_eq:
            blocks = blocks.filter(agent_count__in=connected_to_agents_count_eq)
    return blocks
