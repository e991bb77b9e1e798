"""An agent's memory blocks: edit in place, add, detach or delete, attach an organization's block."""

from django.shortcuts import render
from django.urls import path
from django.views.decorators.http import require_GET

from accounts.access import organization_required
from agents import selectors
from agents.pages.panel import panel_context


@require_GET
@organization_required
def memory(request, agent_id: str):
    agent = selectors.agent_of(request.organization_id, agent_id)
    blocks = agent.blocks.order_by("label", "id")
    return render(request, "agents/memory.html", panel_context(agent, "memory", blocks=blocks))


urlpatterns = [
    path("agents/<str:agent_id>/memory/", memory, name="ade-agent-memory"),
]
