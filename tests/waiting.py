"""Waiting on observable state: the one way the suite polls.

A test that has to wait for something another thread or process does (a run starting, a request reaching a fake
provider, a callback being sent) names what it waits for and checks it until it holds. The deadline only bounds
how long a broken run can hang the suite, it is never a timing assertion: when it passes, the test fails with a
message saying what never happened.
"""

import asyncio
import inspect
import time
from collections.abc import Callable
from typing import Any

TIMEOUT = 20.0  # seconds; generous, so a loaded machine never fails a test that would pass
INTERVAL = 0.02


def wait_until(predicate: Callable[[], Any], *, message: str, timeout: float = TIMEOUT, interval: float = INTERVAL):
    """Call `predicate` until it returns something truthy and return that; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        if result := predicate():
            return result
        if time.monotonic() >= deadline:
            raise AssertionError(f"gave up after {timeout:g} s waiting for {message}")
        time.sleep(interval)


async def await_until(
    predicate: Callable[[], Any], *, message: str, timeout: float = TIMEOUT, interval: float = INTERVAL
):
    """`wait_until` for async tests: sleeps without blocking the event loop; `predicate` may return an awaitable
    (an async ORM call such as `Run.objects.filter(...).aexists()`)."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return result
        if time.monotonic() >= deadline:
            raise AssertionError(f"gave up after {timeout:g} s waiting for {message}")
        await asyncio.sleep(interval)
