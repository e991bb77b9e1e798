"""How many tool runs may be in flight at once, per organization and per server process.

Counters under a thread lock rather than asyncio semaphores: the server may run more than one event loop (the
live-server thread in tests, `async_to_sync` callers), and an asyncio primitive belongs to one loop.
"""

import asyncio
import threading
import time
from contextlib import asynccontextmanager

from django.conf import settings

_lock = threading.Lock()
_running: dict[str | None, int] = {}  # organization id -> runs; None -> the whole process
_POLL_SECONDS = 0.02


class NoSlot(Exception):
    """No slot freed within the wait; the message names the setting to raise."""


def _try_take(organization_id: str | None) -> str | None:
    """None when a slot was taken, else the name of the setting that is full."""
    with _lock:
        if _running.get(None, 0) >= settings.TOOL_CONCURRENCY:
            return "LETTA_TOOL_CONCURRENCY"
        if organization_id is not None and _running.get(organization_id, 0) >= settings.TOOL_CONCURRENCY_PER_ORG:
            return "LETTA_TOOL_CONCURRENCY_PER_ORG"
        _running[None] = _running.get(None, 0) + 1
        if organization_id is not None:
            _running[organization_id] = _running.get(organization_id, 0) + 1
        return None


def _give_back(organization_id: str | None) -> None:
    with _lock:
        for key in (None, organization_id) if organization_id is not None else (None,):
            _running[key] -= 1
            if not _running[key]:
                del _running[key]


@asynccontextmanager
async def tool_slot(organization_id: str | None):
    deadline = time.monotonic() + settings.TOOL_SLOT_WAIT_SECONDS
    while (full := _try_take(organization_id)) is not None:
        if time.monotonic() >= deadline:
            limit = settings.TOOL_CONCURRENCY if full == "LETTA_TOOL_CONCURRENCY" else settings.TOOL_CONCURRENCY_PER_ORG
            scope = "this server" if full == "LETTA_TOOL_CONCURRENCY" else "this organization"
            raise NoSlot(
                f"too many tool runs at once: {limit} are already running for {scope} and none finished within "
                f"{settings.TOOL_SLOT_WAIT_SECONDS:g} seconds (the operator's {full} setting). Try again shortly."
            )
        await asyncio.sleep(_POLL_SECONDS)
    try:
        yield
    finally:
        _give_back(organization_id)
