"""What a run tells its listeners, and how it ends."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from agents.events import publish
from agents.letta_messages import to_letta_messages
from agents.models import Message
from agents.runtime.state import RunState

EventSink = Callable[[dict], Awaitable[None]]


@dataclass(slots=True)
class Stop:
    reason: str
    error: dict | None = None


class Emitter:
    def __init__(self, state: RunState, sink: EventSink | None):
        self.state = state
        self.sink = sink

    async def __call__(self, event: dict) -> None:
        await publish(self.state.agent.id, event)
        if self.sink is not None:
            await self.sink(event)

    async def messages(self, rows: list[Message], *, skip_assistant_parts: bool = False, pending=None) -> None:
        for row in rows:
            for item in to_letta_messages(row, pending_approval_calls=pending):
                self.state.messages_out.append(item)
                if skip_assistant_parts and item["message_type"] in (
                    "reasoning_message",
                    "assistant_message",
                    "tool_call_message",
                ):
                    continue
                await self(item)
