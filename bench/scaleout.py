"""Concurrent sends spread across two web processes sharing PostgreSQL and Redis (the scale-out deployment).

A burst of N sends at once (`POST /v1/agents/{id}/messages`, each to its own agent), the client alternating between
two daphne processes on one throwaway PostgreSQL (pgserver, as for `pytest --postgres`) and one Redis
(tests/redis_server.py: Debian's redis-server on a free loopback port), while the fake provider answers every call
after a second. No proxy: the client addresses the two ports itself. Printed per size: the wall time of the burst,
the sends that failed by kind, the latency of a send (median and slowest), the most connections PostgreSQL had open
at once (sampled every 10 ms), the listen-queue overflows meanwhile, and the causes the servers logged.

The servers read their settings from the environment as usual (`LETTA_DB_POOL_MAX=20 python -m bench scaleout`).
`python -m bench` runs a smoke size (20); `python -m bench scaleout --sends 1000` the issue's size.
"""

import argparse
import asyncio
import time

from bench.concurrency import (
    PROVIDER_DELAY,
    ConnectionSampler,
    _burst_row,
    _server_errors,
    cpu_seconds,
    listen_overflows,
    make_agents,
    timed_send,
    use_database,
    use_throwaway_postgres,
)
from bench.setup import django_on_scratch_db, fake_openai_provider

WEB_PROCESSES = 2


async def spread_burst(ports: list[int], agent_ids: list[str], key: str):
    """All sends at once, send i to ports[i % len(ports)]: (wall seconds, [(failure or None, seconds)])."""
    began = time.monotonic()
    sends = (timed_send(ports[i % len(ports)], agent_id, key) for i, agent_id in enumerate(agent_ids))
    results = await asyncio.gather(*sends)
    return time.monotonic() - began, results


def run_burst(sizes: list[int], fake, redis_url: str) -> list[str]:
    from django.conf import settings
    from django.db import connection

    from tests.api.live_server import LiveServer
    from tests.fakes import Reply
    from tests.postgres import database_env

    agent_ids, key = make_agents(max(sizes))
    connection.close()  # the connections PostgreSQL counts from here on are the servers' (and the sampler's)
    env = {
        **database_env(settings.DATABASES["default"]),
        "REDIS_URL": redis_url,
        "OPENAI_BASE_URL": fake.base_url,
        "OPENAI_API_KEY": "sk-bench",
        "LETTA_LLM_MAX_RETRIES": "0",
    }
    servers = []
    rows = []
    try:
        servers += [LiveServer(env) for _ in range(WEB_PROCESSES)]
        ports = [server.port for server in servers]
        fake.responder = lambda request: Reply(text="hi")
        asyncio.run(spread_burst(ports, agent_ids[: 2 * len(ports)], key))  # warm: imports, first connections
        fake.responder = lambda request: Reply(text="hi", delay=PROVIDER_DELAY)
        for size in sizes:
            overflows = listen_overflows()
            cpu = _cpu_of(servers)
            with ConnectionSampler() as sampler:
                wall, results = asyncio.run(spread_burst(ports, agent_ids[:size], key))
            if overflows is not None:
                overflows = listen_overflows() - overflows
            if cpu is not None:
                cpu = _cpu_of(servers) - cpu
            rows.append(_burst_row(f"{WEB_PROCESSES} x web", size, wall, results, sampler.peak, overflows, cpu))
        for server in servers:
            rows += _server_errors(server.output())
    finally:
        for server in servers:
            server.close()
    return rows


def _cpu_of(servers) -> float | None:
    """The CPU time the web processes have used so far, together."""
    times = [cpu_seconds(server.process.pid) for server in servers]
    return None if None in times else sum(times)


def main(small: bool = False, sends: list[int] | None = None) -> None:
    from tests.redis_server import RedisServer

    sizes = sends or [20]
    django_on_scratch_db()
    from django.conf import settings

    from tests.fakes import Reply

    fake = fake_openai_provider(lambda request: Reply(text="hi"))
    embedded = dict(settings.DATABASES["default"])
    redis = RedisServer()
    postgres = use_throwaway_postgres()
    try:
        rows = run_burst(sizes, fake, redis.url)
    finally:
        use_database(embedded)
        postgres.cleanup()
        redis.stop()
        fake.close()
    print(
        f"concurrent sends across {WEB_PROCESSES} web processes on PostgreSQL + Redis, each send to its own agent, "
        f"fake provider answering after {PROVIDER_DELAY:g} s"
    )
    for row in rows:
        print(row)


def cli(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench scaleout", description=__doc__)
    parser.add_argument("--sends", type=int, nargs="+", default=[20], help="burst sizes (default: 20)")
    args = parser.parse_args(argv)
    main(sends=args.sends)


if __name__ == "__main__":
    cli()
