from channels.generic.websocket import AsyncJsonWebsocketConsumer

from agents.events import group_name


class AgentEventsConsumer(AsyncJsonWebsocketConsumer):
    """Streams an agent's step events to the browser. It only subscribes and forwards."""

    async def connect(self):
        self.group = group_name(self.scope["url_route"]["kwargs"]["agent_id"])
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code):
        await self.channel_layer.group_discard(self.group, self.channel_name)

    async def agent_event(self, message):
        await self.send_json(message["event"])
