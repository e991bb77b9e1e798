"""Followers of a background run's stream (`POST /v1/runs/{id}/stream`): what idle followers cost the database, and
how soon a written event reaches them.

N followers (`send_views._follow`, what the route streams) follow one running run of this process on the scratch
SQLite database. Idle phase: nothing is written for a few seconds; the figure is the event-log reads per second
(each read is two queries: the events after the follower's last, and the run). Event phase: a recorder
(event_log.EventRecorder, what a background run writes through) writes one event at a time; the figure is the delay
from the start of its write to each follower receiving it. `--poll-interval` is the follower's own (what a client may
send); unset, the server chooses.
"""

import argparse
import asyncio
import time

from bench.setup import django_on_scratch_db, median

IDLE_SECONDS = 5.0
EVENTS = 10


async def measure(followers: int, poll_interval: float | None, idle_seconds: float, events: int) -> dict:
    from asgiref.sync import sync_to_async

    from accounts.models import Organization
    from agents import services
    from agents.api.send_views import _follow
    from agents.models import Run
    from agents.runtime import event_log, leases
    from agents.runtime.event_log import EventRecorder

    org = await sync_to_async(Organization.default)()
    agent = await sync_to_async(services.create_agent)(organization_id=org.id, name="followed", model="openai/bench")
    run = await Run.objects.acreate(organization_id=org.id, agent=agent, background=True, status="running")
    reads = 0
    read_events = event_log.read_events

    def counting_read(*args, **kwargs):
        nonlocal reads
        reads += 1
        return read_events(*args, **kwargs)

    arrivals: list[list[float]] = [[] for _ in range(followers)]
    written: list[float] = []

    async def follow(index: int) -> None:
        async for chunk in _follow(run.id, after=0, include_pings=False, poll_interval=poll_interval, batch_size=100):
            arrivals[index].append(time.perf_counter())
            if chunk.startswith(b"data: [DONE]"):
                return

    event_log.read_events = counting_read
    try:
        with leases.hold(run.id):  # the run is this process's, as under `make run`
            tasks = [asyncio.create_task(follow(index)) for index in range(followers)]
            await asyncio.sleep(0.5)  # all following
            reads = 0
            await asyncio.sleep(idle_seconds)
            idle_reads = reads
            recorder = EventRecorder()
            recorder.run_id = run.id
            for n in range(events):
                kind = event_log.LAST_EVENT if n == events - 1 else "assistant_message"
                await recorder({"message_type": kind, "content": str(n)})
                written.append(time.perf_counter())
                await recorder.flush()
                await asyncio.sleep(0.3)
            await asyncio.wait_for(asyncio.gather(*tasks), 30)
    finally:
        event_log.read_events = read_events
    delays = [(arrived - written[n]) * 1000 for times in arrivals for n, arrived in enumerate(times[: len(written)])]
    return {"idle_reads_per_second": idle_reads / idle_seconds, "delay_ms": median(delays), "max_ms": max(delays)}


def main(small: bool = False, followers: int = 50, poll_interval: float | None = None) -> None:
    django_on_scratch_db()
    if small:
        followers = 3
    figures = asyncio.run(measure(followers, poll_interval, 1.0 if small else IDLE_SECONDS, 3 if small else EVENTS))
    chosen = "server's choice" if poll_interval is None else f"{poll_interval:g} s"
    print(f"stream followers of one run: {followers}, poll interval {chosen}")
    print(f"  idle: {figures['idle_reads_per_second']:.1f} event-log reads/s (2 queries each)")
    print(f"  written event -> follower: median {figures['delay_ms']:.1f} ms, max {figures['max_ms']:.1f} ms")


def cli(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench followers", description=__doc__)
    parser.add_argument("--followers", type=int, default=50)
    parser.add_argument("--poll-interval", type=float, default=None)
    parser.add_argument("--smoke", "--small", dest="small", action="store_true")
    args = parser.parse_args(argv)
    main(small=args.small, followers=args.followers, poll_interval=args.poll_interval)
