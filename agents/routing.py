from django.urls import path

from agents.consumers import AgentEventsConsumer

websocket_urlpatterns = [
    path("ws/agents/<str:agent_id>/", AgentEventsConsumer.as_asgi()),
]
