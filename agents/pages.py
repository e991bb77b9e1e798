"""ADE pages of agents: the list, and an agent's memory blocks beside its context window viewer."""

from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.access import organization_required
from agents import selectors
from agents.context_display import context_display
from agents.context_window import context_overview

DETAIL = "agents/detail.html"


@require_GET
@organization_required
def agent_list(request):
    agents = selectors.list_agents(request.organization_id)
    return render(request, "agents/list.html", {"agents": agents, "section": "agents"})


@require_GET
@organization_required
def agent_detail(request, agent_id: str):
    agent = selectors.agent_of(request.organization_id, agent_id)
    return render(request, DETAIL, _detail_context(agent, preview=""))


@require_GET
@organization_required
def agent_context(request, agent_id: str):
    """The viewer alone, for htmx to swap in: on the refresh button, a preview message, a `context-changed`
    event (the page sends it when a run of the agent ends), or coming back to the tab."""
    agent = selectors.agent_of(request.organization_id, agent_id)
    preview = request.GET.get("preview", "").strip()
    template = f"{DETAIL}#context" if request.htmx else DETAIL
    return render(request, template, _detail_context(agent, preview=preview))


def _detail_context(agent, *, preview: str) -> dict:
    overview = context_overview(agent, preview or None)
    return {
        "agent": agent,
        "blocks": agent.blocks.order_by("label", "id"),
        "context": context_display(overview),
        "preview": preview,
        "section": "agents",
    }
