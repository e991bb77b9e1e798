"""Waking the followers of a background run when its kept events grow, instead of having them poll blindly.

The recorder (event_log.EventRecorder) announces "run R has events up to seq N" after each batch it writes; a
follower (`POST /v1/runs/{id}/stream`, a background stream) looks at the event log when that arrives, or when its
poll interval has passed, whichever comes first. The poll stays as the fallback: an announcement that is lost, a run
in a process that cannot reach this one, and the end of a run whose process died (only a look at its record shows
it) are all met by the next look.

In one process, announcements go straight to the waiting followers. The recorder and its followers may be on
different event loops (a worker's, a request's, a test's), so each follower is woken on its own loop
(`call_soon_threadsafe`). With REDIS_URL set they also go through the channel layer that carries the ADE's events
(agents.events, a group per run), and each event loop with followers has one relay that joins the groups of the
runs followed there and wakes them. A follower skips an announcement it has already read past, so one that arrives
both ways costs nothing.
"""

import asyncio
import contextlib
import logging
import threading

from channels.layers import get_channel_layer
from django.conf import settings

from agents import events
from agents.runtime import leases

log = logging.getLogger(__name__)

# Between looks, when the follower did not choose: long when announcements reach it (they wake it at once), short when
# none can (a run in another process without REDIS_URL: polling is then all it has, as before announcements).
ANNOUNCED_POLL = 1.0  # seconds
UNANNOUNCED_POLL = 0.1
# A publish that hangs (Redis unreachable) must not hold up the run that announces.
PUBLISH_TIMEOUT = 2.0
# After the relay fails to receive, it tries again after this long; followers poll meanwhile.
RELAY_RETRY = 1.0


class Watch:
    """One follower's wait for the announcements of one run, on the follower's event loop."""

    def __init__(self, run_id: str, loop: asyncio.AbstractEventLoop):
        self.run_id = run_id
        self.loop = loop
        self.announced = 0  # the highest seq_id announced since the watch began
        self._changed = asyncio.Event()

    def _wake(self, seq_id: int) -> None:  # on self.loop
        if seq_id > self.announced:
            self.announced = seq_id
            self._changed.set()

    async def wait(self, after: int, timeout: float) -> bool:
        """Until events after seq_id `after` are announced (True) or `timeout` seconds pass (False)."""
        deadline = self.loop.time() + timeout
        while self.announced <= after:
            remaining = deadline - self.loop.time()
            if remaining <= 0:
                return False
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), remaining)
            except TimeoutError:
                return False
        return True


_lock = threading.Lock()
_watches: dict[str, set[Watch]] = {}  # run id -> its followers' watches, in every loop of this process


def _wake_here(run_id: str, seq_id: int) -> None:
    with _lock:
        watches = list(_watches.get(run_id, ()))
    for watch in watches:
        try:
            watch.loop.call_soon_threadsafe(watch._wake, seq_id)
        except RuntimeError:  # its loop closed without the follower leaving; it will never wait again
            pass


async def announce(run_id: str, seq_id: int) -> None:
    """The kept events of `run_id` now reach `seq_id`: wake its followers here and, with Redis, everywhere.
    Never raises: a lost announcement only leaves followers to their next poll."""
    _wake_here(run_id, seq_id)
    if not settings.REDIS_URL:
        return
    try:
        await asyncio.wait_for(events.announce_written(run_id, seq_id), PUBLISH_TIMEOUT)
    except Exception:
        log.warning("could not announce the events of run %s to other processes", run_id, exc_info=True)


def fallback_interval(run_id: str) -> float:
    """How long a follower that did not choose waits between looks at the event log when nothing wakes it."""
    return ANNOUNCED_POLL if settings.REDIS_URL or leases.is_held(run_id) else UNANNOUNCED_POLL


@contextlib.asynccontextmanager
async def watching(run_id: str):
    """A Watch of `run_id` for the block; begun before the follower's first look, so nothing written after that
    look goes unannounced."""
    watch = Watch(run_id, asyncio.get_running_loop())
    with _lock:
        _watches.setdefault(run_id, set()).add(watch)
    relay = None
    try:
        if settings.REDIS_URL:
            relay = await _Relay.join(run_id)
        yield watch
    finally:
        with _lock:
            watches = _watches.get(run_id)
            if watches is not None:
                watches.discard(watch)
                if not watches:
                    del _watches[run_id]
        if relay is not None:
            await relay.leave(run_id)


class _Relay:
    """Receives, on one event loop, the announcements other processes publish for the runs followed on that loop.

    It lives only while that loop has followers: channels_redis lets one event loop at a time receive, and a relay
    left receiving on a loop that closed would refuse every other loop's receiver (a test's, a websocket's)."""

    _by_loop: dict[asyncio.AbstractEventLoop, "_Relay"] = {}

    def __init__(self, layer):
        self.layer = layer
        self.lock = asyncio.Lock()
        self.channel: str | None = None
        self.receiving: asyncio.Task | None = None
        self.runs: dict[str, int] = {}  # run id -> this loop's followers of it

    @classmethod
    async def join(cls, run_id: str) -> "_Relay | None":
        """This loop's relay, now a member of `run_id`'s group; None if the channel layer could not be reached."""
        layer = get_channel_layer()
        if layer is None:
            return None
        loop = asyncio.get_running_loop()
        relay = cls._by_loop.get(loop)
        if relay is None:
            for closed in [old for old in cls._by_loop if old.is_closed()]:
                del cls._by_loop[closed]
            relay = cls._by_loop[loop] = cls(layer)
        async with relay.lock:
            try:
                if relay.channel is None:
                    relay.channel = await layer.new_channel()
                if not relay.runs.get(run_id):
                    await layer.group_add(events.run_group_name(run_id), relay.channel)
            except Exception:
                log.warning("could not follow run %s through the channel layer; polling it", run_id, exc_info=True)
                await relay._stop_if_idle()
                return None
            relay.runs[run_id] = relay.runs.get(run_id, 0) + 1
            if relay.receiving is None:
                relay.receiving = loop.create_task(relay._receive(), name="run-event-relay")
        return relay

    async def leave(self, run_id: str) -> None:
        async with self.lock:
            self.runs[run_id] -= 1
            if self.runs[run_id] == 0:
                del self.runs[run_id]
                try:
                    await self.layer.group_discard(events.run_group_name(run_id), self.channel)
                except Exception:  # the membership expires by itself (channels_redis's group_expiry)
                    log.warning("could not leave the group of run %s", run_id, exc_info=True)
            await self._stop_if_idle()

    async def _stop_if_idle(self) -> None:
        if self.runs:
            return
        if self.receiving is not None:
            self.receiving.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.receiving
        self.receiving = self.channel = None

    async def _receive(self) -> None:
        while True:
            try:
                message = await self.layer.receive(self.channel)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("could not receive run announcements; followers poll meanwhile", exc_info=True)
                await asyncio.sleep(RELAY_RETRY)
                continue
            if message.get("type") == events.RUN_WRITTEN:
                _wake_here(message["run_id"], message["seq_id"])
