"""An agent's runs and, for each run, its steps: timings, usage, messages, feedback and provider traces."""

from django.shortcuts import render
from django.urls import path
from django.views.decorators.http import require_GET

from accounts.access import organization_required
from agents import selectors
from agents.pages.panel import panel_context

TEMPLATE = "agents/runs.html"


@require_GET
@organization_required
def agent_runs(request, agent_id: str):
    agent = selectors.agent_of(request.organization_id, agent_id)
    return render(request, TEMPLATE, panel_context(agent, "runs"))


urlpatterns = [
    path("agents/<str:agent_id>/runs/", agent_runs, name="ade-agent-runs"),
]
