"""What the sandbox costs a custom tool call: median and p95 ms of 100 calls of a trivial tool through
`run_custom_tool`, unconfined (LETTA_TOOL_SANDBOX=unsafe-none: a plain limited process, as before the sandbox)
and under bubblewrap (the default), in alternating rounds so drift on a shared machine hits both alike.
"""

import asyncio
import time

from bench.setup import django_on_scratch_db, median

ADD = 'def add(a: int, b: int) -> int:\n    """Add."""\n    return a + b\n'


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


async def timed_calls(count: int) -> list[float]:
    from tools.sandbox import run_custom_tool

    walls = []
    for i in range(count):
        started = time.perf_counter_ns()
        result = await run_custom_tool(ADD, "add", {"a": i, "b": 1}, schema=None, return_char_limit=1000)
        walls.append((time.perf_counter_ns() - started) / 1e6)
        if result.func_return != str(i + 1):
            raise SystemExit(f"the tool failed: {result.func_return}")
    return walls


def main(small: bool = False) -> None:
    django_on_scratch_db()
    from django.conf import settings

    from tools.sandbox.bwrap import SandboxUnavailable, ready_bwrap

    calls, rounds = (10, 1) if small else (50, 2)
    modes = ["unsafe-none", "bwrap"]
    try:
        ready_bwrap()
    except SandboxUnavailable as exc:
        print(f"tool sandbox: bwrap unavailable ({exc}); measuring unsafe-none only")
        modes = ["unsafe-none"]
    walls: dict[str, list[float]] = {mode: [] for mode in modes}
    for mode in modes:  # warm: the bwrap self-check, the page cache of the runtime
        settings.TOOL_SANDBOX = mode
        asyncio.run(timed_calls(3))
    for _ in range(rounds):
        for mode in modes:
            settings.TOOL_SANDBOX = mode
            walls[mode] += asyncio.run(timed_calls(calls))
    print(f"custom tool call through run_custom_tool, {calls * rounds} calls each (ms)")
    for mode, values in walls.items():
        print(f"  {mode:12} median {median(values):6.1f}   p95 {p95(values):6.1f}")
