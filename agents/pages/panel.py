"""What every panel of an agent's page shares: the agent, scoped to the signed-in person's organization, and the
tab it shows."""

from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.access import organization_required
from agents import selectors

AGENT_BASE = "agents/agent_base.html"


def panel_context(agent, tab: str, **extra) -> dict:
    """The context agent_base.html needs: the agent, which tab is current, and the section of the top bar."""
    return {"agent": agent, "tab": tab, "section": "agents", **extra}


def placeholder(tab: str):
    """A panel not built yet: the tab exists, so the navigation is complete while its screen is written."""

    @require_GET
    @organization_required
    def view(request, agent_id: str):
        agent = selectors.agent_of(request.organization_id, agent_id)
        return render(request, AGENT_BASE, panel_context(agent, tab))

    return view
