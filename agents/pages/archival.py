"""An agent's archival memory: passages newest first, hybrid search, add and delete."""

from django.urls import path

from agents.pages.panel import placeholder

urlpatterns = [
    path("agents/<str:agent_id>/archival/", placeholder("archival"), name="ade-agent-archival"),
]
