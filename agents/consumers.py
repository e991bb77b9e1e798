from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from accounts.socket_auth import organization_of_socket
from agents.events import group_name
from agents.models import Agent

# Close codes in the application range (4000-4999), so a client can tell why it was turned away.
UNAUTHENTICATED = 4401
NOT_FOUND = 4404


@database_sync_to_async
def _refusal(scope, agent_id: str) -> int | None:
    organization_id = organization_of_socket(scope)
    if organization_id is None:
        return UNAUTHENTICATED
    if not Agent.objects.for_organization(organization_id).filter(pk=agent_id).exists():
        return NOT_FOUND  # another organization's agent is not found, as in the API
    return None


class AgentEventsConsumer(AsyncJsonWebsocketConsumer):
    """Streams an agent's step events to a reader of that agent's organization. It only subscribes and forwards."""

    group = None

    async def connect(self):
        agent_id = self.scope["url_route"]["kwargs"]["agent_id"]
        await self.accept()
        refusal = await _refusal(self.scope, agent_id)
        if refusal is not None:
            await self.close(code=refusal)
            return
        self.group = group_name(agent_id)
        await self.channel_layer.group_add(self.group, self.channel_name)

    async def disconnect(self, code):
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def agent_event(self, message):
        await self.send_json(message["event"])
