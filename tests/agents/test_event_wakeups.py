"""Announcements of a background run's written events wake its followers, on whatever event loop each waits."""

import asyncio
import threading

import pytest

from agents.runtime import event_wakeups

pytestmark = pytest.mark.asyncio

HANG = 8.0  # seconds: only stops a test that would otherwise hang; every wait below that succeeds is woken


def announce_from_another_thread(run_id: str, seq_id: int) -> None:
    """As a worker on its own event loop would announce a batch it wrote."""
    thread = threading.Thread(target=asyncio.run, args=(event_wakeups.announce(run_id, seq_id),))
    thread.start()
    thread.join(HANG)


async def test_an_announcement_from_another_event_loop_wakes_the_follower_of_that_run():
    async with event_wakeups.watching("run-a") as watch:
        waiting = asyncio.create_task(watch.wait(after=0, timeout=60))
        await asyncio.sleep(0)  # waiting
        announce_from_another_thread("run-b", 5)  # another run's events: not for this follower
        announce_from_another_thread("run-a", 3)
        assert await asyncio.wait_for(waiting, HANG) is True
        assert watch.announced == 3


async def test_events_already_read_do_not_wake_the_follower_again():
    async with event_wakeups.watching("run-a") as watch:
        await event_wakeups.announce("run-a", 3)
        await asyncio.sleep(0)  # the wake-up is delivered on the follower's loop
        assert await watch.wait(after=0, timeout=HANG) is True  # announced before the follower got to wait
        # The follower read up to 3: nothing newer was announced, so it waits out its poll interval.
        assert await watch.wait(after=3, timeout=0.05) is False


async def test_a_run_nobody_follows_any_more_is_forgotten():
    async with event_wakeups.watching("run-a"):
        async with event_wakeups.watching("run-a"):
            pass
        assert "run-a" in event_wakeups._watches  # one follower left
    assert "run-a" not in event_wakeups._watches
    await event_wakeups.announce("run-a", 1)  # nobody to wake: nothing happens
