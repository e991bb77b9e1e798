"""Reads of agents for the ADE pages, always within one organization."""

from django.db.models import Count, QuerySet
from django.shortcuts import get_object_or_404

from agents.models import Agent


def list_agents(organization_id: str) -> QuerySet[Agent]:
    """The organization's agents by name, each with `num_blocks` (one query, however many agents)."""
    return (Agent.objects.filter(organization_id=organization_id)
            .annotate(num_blocks=Count("blocks")).order_by("name", "id"))


def agent_of(organization_id: str, agent_id: str) -> Agent:
    """The agent, or 404: another organization's agent is not found, never forbidden."""
    return get_object_or_404(Agent, pk=agent_id, organization_id=organization_id)
