"""ADE routes of agents, mounted under /ade/."""

from django.urls import path

from agents import pages

urlpatterns = [
    path("", pages.agent_list, name="ade-agents"),
    path("agents/<str:agent_id>/", pages.agent_detail, name="ade-agent"),
    path("agents/<str:agent_id>/context/", pages.agent_context, name="ade-agent-context"),
]
