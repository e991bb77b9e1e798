"""An agent's page opens on its chat (agents/pages/chat.py) beside its context window viewer: what the next request
to the provider would hold."""

from django.shortcuts import render
from django.urls import path
from django.views.decorators.http import require_GET

from accounts.access import organization_required
from agents import selectors
from agents.context_display import context_display
from agents.context_window import context_overview
from agents.pages.chat import chat_context
from agents.pages.panel import panel_context

DETAIL = "agents/detail.html"


@require_GET
@organization_required
def agent_detail(request, agent_id: str):
    agent = selectors.agent_of(request.organization_id, agent_id)
    return render(request, DETAIL, {**_detail_context(agent, preview=""), **chat_context(agent)})


@require_GET
@organization_required
def agent_context(request, agent_id: str):
    """The viewer alone, for htmx to swap in: on the refresh button, a preview message, a `context-changed`
    event (the page sends it after each step of a run of the agent and at its end), or coming back to the tab."""
    agent = selectors.agent_of(request.organization_id, agent_id)
    preview = request.GET.get("preview", "").strip()
    if request.htmx:
        return render(request, f"{DETAIL}#context", _detail_context(agent, preview=preview))
    return render(request, DETAIL, {**_detail_context(agent, preview=preview), **chat_context(agent)})


def _detail_context(agent, *, preview: str) -> dict:
    overview = context_overview(agent, preview or None)
    return panel_context(
        agent,
        "context",
        context=context_display(overview),
        preview=preview,
    )


urlpatterns = [
    path("agents/<str:agent_id>/", agent_detail, name="ade-agent"),
    path("agents/<str:agent_id>/context/", agent_context, name="ade-agent-context"),
]
