"""An agent's memory timeline: every block revision with who made it, a diff, and restore."""

from django.urls import path

from agents.pages.panel import placeholder

urlpatterns = [
    path("agents/<str:agent_id>/timeline/", placeholder("timeline"), name="ade-agent-timeline"),
]
