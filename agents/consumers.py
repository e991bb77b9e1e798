from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from accounts.socket_auth import SocketCredential, credential_of_socket
from accounts.socket_watch import UNAUTHENTICATED, CredentialBoundConsumer
from agents.events import group_name
from agents.models import Agent

# Close codes in the application range (4000-4999), so a client can tell why it was turned away.
NOT_FOUND = 4404


@database_sync_to_async
def _admission(scope, agent_id: str) -> SocketCredential | int:
    """The credential the reader acts with, or the close code that turns it away."""
    credential = credential_of_socket(scope)
    if credential is None:
        return UNAUTHENTICATED
    if not Agent.objects.for_organization(credential.organization_id).filter(pk=agent_id).exists():
        return NOT_FOUND  # another organization's agent is not found, as in the API
    return credential


class AgentEventsConsumer(CredentialBoundConsumer, AsyncJsonWebsocketConsumer):
    """Streams an agent's step events to a reader of that agent's organization. It only subscribes and forwards;
    it closes (4401) when the session or key it was opened with ends (CredentialBoundConsumer)."""

    group = None

    async def connect(self):
        agent_id = self.scope["url_route"]["kwargs"]["agent_id"]
        admission = await _admission(self.scope, agent_id)
        if isinstance(admission, int):
            await self.accept()  # a close code can only be given on an accepted socket
            await self.close(code=admission)
            return
        await self.bind_credential(admission)
        self.group = group_name(agent_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        # Accepted only once subscribed: a reader that starts a run as soon as its socket opens sees all of it.
        await self.accept()

    async def disconnect(self, code):
        await self.unbind_credential()
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def agent_event(self, message):
        await self.send_json(message["event"])
