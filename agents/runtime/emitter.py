"""What a run tells its listeners, and how it ends.

Two readers: the agent's channel-layer group (the websocket) and the run's own sink (an SSE stream, a kept
background stream). The sink gets the Letta stream exactly as the API documents it; the group gets that stream
plus the events only the ADE's chat needs (listed in agents/events.py)."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from django.utils import timezone

from agents.events import publish
from agents.letta_messages import otid_for, to_letta_messages
from agents.models import Message, Run
from agents.runtime.state import RunState

EventSink = Callable[[dict], Awaitable[None]]

# With token streaming, these parts of a step's reply reached the sink as deltas already.
_STREAMED_PARTS = ("reasoning_message", "assistant_message", "tool_call_message")


@dataclass(slots=True)
class Stop:
    reason: str
    error: dict | None = None


class Emitter:
    def __init__(self, state: RunState, sink: EventSink | None):
        self.state = state
        self.sink = sink
        self._dates: dict[str, str] = {}  # message id -> when its first delta went out
        self._parts: dict[str, dict] = {}  # message id -> {part key: index}, in order of first delta

    def _stamped(self, event: dict) -> dict:
        """A delta as a whole LettaMessage chunk: the SDK's union needs `date` to parse it as its own type (without
        it every chunk becomes a SystemMessage), and clients join a part's chunks by `otid`. Parts are numbered in
        the order their first delta arrives (reasoning, text, then each call), the order the stored message fans
        out in, so a chunk's otid is the otid of the part it ends up in."""
        message_id = event["id"]
        date = self._dates.setdefault(message_id, timezone.now().isoformat())
        parts = self._parts.setdefault(message_id, {})
        call = event.get("tool_call") or {}
        key = (event["message_type"], call.get("tool_call_id"))
        index = parts.setdefault(key, len(parts))
        return {**event, "date": date, "otid": otid_for(message_id, index)}

    async def __call__(self, event: dict) -> None:
        await self._publish(event)
        if self.sink is not None:
            await self.sink(event)

    async def delta(self, event: dict) -> None:
        """A token delta: the websocket copy says so, the Letta stream's copy is otherwise the same."""
        event = self._stamped(event)
        await self._publish({**event, "delta": True})
        if self.sink is not None:
            await self.sink(event)

    async def page_only(self, event: dict) -> None:
        await self._publish(event)

    async def _publish(self, event: dict) -> None:
        """The websocket copy names the thread (None: the agent's default one): the agent's page shows one."""
        await publish(self.state.agent.id, {**event, "conversation_id": self.state.thread.conversation_id})

    async def messages(self, rows: list[Message], *, skip_assistant_parts: bool = False, pending=None) -> None:
        for row in rows:
            for item in to_letta_messages(row, pending_approval_calls=pending):
                self.state.messages_out.append(item)
                if skip_assistant_parts and item["message_type"] in _STREAMED_PARTS:
                    await self.page_only(item)  # the stored whole, to replace what the deltas built
                    continue
                await self(item)

    async def run_started(self, inputs: list[Message]) -> None:
        """The run began: say so, with what was said to start it (not yet stored; stored under these ids)."""
        run_id = self.state.run_id
        await self.page_only(
            {"message_type": "run_started", "run_id": run_id, "stream_tokens": self.state.stream_tokens}
        )
        for row in inputs:
            for item in to_letta_messages(row):
                await self.page_only({**item, "run_id": run_id})

    async def step_finished(self, step_id: str | None, changed_block_ids: list[str]) -> None:
        await self.page_only(
            {
                "message_type": "step_finished",
                "run_id": self.state.run_id,
                "step_id": step_id,
                "changed_block_ids": list(dict.fromkeys(changed_block_ids)),
            }
        )

    async def run_finished(self, run: Run) -> None:
        await self.page_only(run_finished_event(run))


def run_finished_event(run: Run) -> dict:
    """The page-only event that ends a run's events (agents/events.py), without the thread its publisher adds."""
    return {"message_type": "run_finished", **run_summary(run)}


def run_summary(run: Run) -> dict:
    """What the chat shows of a finished run (also for a run that ended while a page was away)."""
    duration = run.total_duration_ns
    return {
        "run_id": run.id,
        "status": run.status,
        "stop_reason": run.stop_reason,
        "step_count": run.step_count,
        "prompt_tokens": run.prompt_tokens,
        "completion_tokens": run.completion_tokens,
        "total_tokens": run.total_tokens,
        "duration_ms": duration // 1_000_000 if duration is not None else None,
        "error": (run.metadata or {}).get("error"),
    }
