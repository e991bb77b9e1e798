"""Every step's events go to the agent's channel-layer group; the websocket and SSE readers subscribe there.

The group carries the run's Letta stream (LettaMessage dicts, `stop_reason`, `usage_statistics`, `error_message`,
`event_message`) plus what only the ADE's chat needs, which the Letta stream does not carry and which therefore goes
to the group alone, never into an SSE stream, a kept background-run stream or an API response
(agents.runtime.emitter.Emitter decides which copy goes where):

- a token delta (`reasoning_message`, `assistant_message`, `tool_call_message` with a piece of text) is marked
  `"delta": true` on its websocket copy, so a reader can append it to the message of the same `id` and type;
- `run_started` {run_id, stream_tokens}: a run of the agent began, whoever started it;
- the run's input messages (`user_message` / `system_message` LettaMessages with the ids they are stored under),
  right after `run_started`, so a reader that did not send them sees what was said;
- with `stream_tokens`, the whole reasoning/assistant/tool-call messages of a step after their deltas (the Letta
  stream leaves them out then), so a reader can replace what it assembled with what was stored;
- `step_finished` {run_id, step_id, changed_block_ids}: a step's writes are committed (the memory blocks its
  tools changed are listed), so the context window has changed;
- `run_finished` {run_id, status, stop_reason, step_count, prompt_tokens, completion_tokens, total_tokens,
  duration_ms, error}: the run's record once it has ended, the last event of a run.
Each of these carries `message_type` naming it, like the Letta events, and `conversation_id` naming the thread of
the run (None for the agent's default thread): the group carries every thread's runs.

A background run also has a group of its own (`run.{id}`), which carries one kind of message, `run.written`
{run_id, seq_id}: its kept events (agents/runtime/event_log.py) now reach `seq_id`. The followers of its stream wait
for it rather than polling the database blindly (agents/runtime/event_wakeups.py).
"""

import asyncio
import logging
import weakref

from channels.layers import get_channel_layer

log = logging.getLogger(__name__)

RUN_WRITTEN = "run.written"
# At most this many sends to the channel layer at once per event loop; the rest wait their turn. Through Redis each
# send takes a connection of redis-py's pool, which refuses past 100 ("Too many connections") rather than waiting:
# a burst of 150 sends publishing their first event at once answered 500s.
MAX_CONCURRENT_SENDS = 50

_turns: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore]" = weakref.WeakKeyDictionary()


def group_name(agent_id: str) -> str:
    return f"agent.{agent_id}"


async def publish(agent_id: str, event: dict) -> None:
    """Send one event (a LettaMessage-shaped dict, a stop reason, usage, an error) to the agent's listeners. Never
    raises: the run goes on whether or not its live readers could be told (they see the stored result on their next
    load)."""
    try:
        await _group_send(group_name(agent_id), {"type": "agent.event", "event": event})
    except Exception:
        log.warning("could not publish an event of agent %s to its readers", agent_id, exc_info=True)


async def _group_send(group: str, message: dict) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    loop = asyncio.get_running_loop()
    turns = _turns.get(loop)
    if turns is None:
        turns = _turns[loop] = asyncio.Semaphore(MAX_CONCURRENT_SENDS)
    async with turns:
        await layer.group_send(group, message)


def run_group_name(run_id: str) -> str:
    return f"run.{run_id}"


async def announce_written(run_id: str, seq_id: int) -> None:
    """Tell the followers of a background run, in every process, that its kept events now reach `seq_id`."""
    await _group_send(run_group_name(run_id), {"type": RUN_WRITTEN, "run_id": run_id, "seq_id": seq_id})
