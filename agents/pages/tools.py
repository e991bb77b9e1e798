"""An agent's tools, its tool rules, and the custom tool editor with its test run."""

from django.urls import path

from agents.pages.panel import placeholder

urlpatterns = [
    path("agents/<str:agent_id>/tools/", placeholder("tools"), name="ade-agent-tools"),
]
