"""Every step's events go to the agent's channel-layer group; the websocket and SSE readers subscribe there."""

from channels.layers import get_channel_layer


def group_name(agent_id: str) -> str:
    return f"agent.{agent_id}"


async def publish(agent_id: str, event: dict) -> None:
    """Send one event (a LettaMessage-shaped dict, a stop reason, usage, an error) to the agent's listeners."""
    layer = get_channel_layer()
    if layer is None:
        return
    await layer.group_send(group_name(agent_id), {"type": "agent.event", "event": event})
