"""The agents list: create (blank or from a starter), search, tag filter, paging, delete, agent files."""

from django.shortcuts import render
from django.urls import path
from django.views.decorators.http import require_GET

from accounts.access import organization_required
from agents import selectors


@require_GET
@organization_required
def agent_list(request):
    agents = selectors.list_agents(request.organization_id)
    return render(request, "agents/list.html", {"agents": agents, "section": "agents"})


urlpatterns = [
    path("", agent_list, name="ade-agents"),
]
