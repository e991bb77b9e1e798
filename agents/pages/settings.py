"""An agent's settings panel: name, description, tags, model, system prompt and the model settings."""

from django.urls import path

from agents.pages.panel import placeholder

urlpatterns = [
    path("agents/<str:agent_id>/settings/", placeholder("settings"), name="ade-agent-settings"),
]
