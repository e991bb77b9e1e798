"""Server-sent events for `POST /v1/agents/{id}/messages` with `streaming=true` and `/messages/stream`.

The run is an asyncio task of its own, fed into a queue by `run_agent`'s `on_event`; the response only reads the
queue. So a client that disconnects cancels the response iterator, never the run: the run finishes, persists and
releases the agent's one-run lock as if the client had stayed.

Framing (reference §4 "SSE"): an optional initial `ping` (with the run id), `data: <json>\\n\\n` per LettaMessage,
a ping every PING_INTERVAL seconds of silence, `event: error` + the `error_message` JSON for a mid-run error, then
the `stop_reason` and `usage_statistics` events and `data: [DONE]\\n\\n`.
"""

import asyncio
import json
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

from django.core.serializers.json import DjangoJSONEncoder
from django.http import StreamingHttpResponse
from django.utils import timezone

from letta_project.db import unit_of_work

log = logging.getLogger(__name__)

PING_INTERVAL = 20.0  # seconds of silence before a keep-alive ping
# How long the view waits for the run's first event before committing to a stream. Requests the run refuses
# (unknown agent, busy agent, pending approval) fail before any event, within milliseconds, and answer as JSON.
FIRST_EVENT_WAIT = PING_INTERVAL
# Events that are not LettaMessages; `include_return_message_types` never filters them out.
CONTROL_TYPES = {"stop_reason", "usage_statistics", "error_message", "ping"}

_DONE = object()
# Strong references to running streamed runs: the event loop only keeps weak ones, and a run whose client went
# away must not be garbage-collected mid-way.
_RUNS: set[asyncio.Task] = set()


def frame(event: dict) -> bytes:
    data = json.dumps(event, cls=DjangoJSONEncoder)
    if event.get("message_type") == "error_message":
        return f"event: error\ndata: {data}\n\n".encode()
    return f"data: {data}\n\n".encode()


def ping(run_id: str | None = None) -> dict:
    event = {"message_type": "ping", "id": f"ping-{uuid.uuid4()}", "date": timezone.now().isoformat()}
    if run_id:
        event["run_id"] = run_id
    return event


DONE_FRAME = b"data: [DONE]\n\n"


@dataclass(frozen=True, slots=True)
class Accepted:
    """The run was accepted (it exists, its input checked) before any event came: the response can begin."""

    run_id: str


class StreamedRun:
    """A run started in its own task, its events buffered in a queue until the response reads them.

    `start(on_event, on_start)` starts the run; `on_start(run_id)` is awaited once the run is accepted, so the
    response begins then rather than when the model first answers."""

    def __init__(self, start: Callable[..., Awaitable[object]]):
        self.queue: asyncio.Queue = asyncio.Queue()
        self.task = asyncio.get_running_loop().create_task(self._run(start))
        _RUNS.add(self.task)
        self.task.add_done_callback(self._finished)

    async def _run(self, start: Callable[..., Awaitable[object]]) -> object:
        # The run outlives the response when its reader leaves: it works on a thread of its own, whose connection
        # it gives back when it ends (the request's own is closed when the response ends).
        async with unit_of_work():
            return await start(self._on_event, self._on_start)

    async def _on_event(self, event: dict) -> None:
        self.queue.put_nowait(event)

    async def _on_start(self, run_id: str) -> None:
        self.queue.put_nowait(Accepted(run_id))

    def _finished(self, task: asyncio.Task) -> None:
        _RUNS.discard(task)
        if not task.cancelled() and task.exception() is not None:  # reading it also marks it retrieved
            log.info("streamed run raised %r", task.exception())
        self.queue.put_nowait(_DONE)

    async def first(self, timeout: float) -> dict | Accepted | None:
        """The run's acceptance (or its first event), or None if neither came in `timeout`. Re-raises what the run
        raised before it was accepted (RunRefused and request errors), so the caller can still answer a plain JSON
        error."""
        try:
            item = await asyncio.wait_for(self.queue.get(), timeout)
        except TimeoutError:
            return None
        if item is _DONE:
            self.task.result()  # raises the run's exception
            return None  # finished without a single event (should not happen)
        return item

    async def events(
        self, first: dict | Accepted | None, *, include_pings: bool, wanted: list[str] | None
    ) -> AsyncIterator[bytes]:
        if include_pings:
            yield frame(ping(first.run_id if isinstance(first, Accepted) else (first or {}).get("run_id")))
        pending = [first] if isinstance(first, dict) else []
        ended = False
        try:
            while True:
                if pending:
                    item = pending.pop()
                else:
                    try:
                        item = await asyncio.wait_for(self.queue.get(), PING_INTERVAL)
                    except TimeoutError:
                        if include_pings:
                            yield frame(ping())
                        continue
                if item is _DONE:
                    break
                if isinstance(item, Accepted):
                    continue
                kind = item.get("message_type")
                if wanted and kind not in CONTROL_TYPES and kind not in wanted:
                    continue
                yield frame(item)
                if kind == "usage_statistics":
                    ended = True
            if not ended:
                # The run raised instead of ending with its own stop_reason/usage (a refusal after the first
                # wait, or a bug): say so in the stream's own terms.
                exc = self.task.exception() if not self.task.cancelled() else None
                message = getattr(exc, "message", None) or (f"{type(exc).__name__}: {exc}" if exc else "cancelled")
                yield frame(
                    {
                        "message_type": "error_message",
                        "error_type": "internal_error",
                        "message": message,
                        "detail": message,
                    }
                )
                yield frame({"message_type": "stop_reason", "stop_reason": "error"})
            yield DONE_FRAME
        finally:
            if not self.task.done():
                log.info("stream client went away; run continues in the background")


def sse_response(chunks: AsyncIterator[bytes]) -> StreamingHttpResponse:
    response = StreamingHttpResponse(chunks, content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"
    return response
