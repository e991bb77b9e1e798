"""Concurrent sends against one real daphne process, on SQLite and on PostgreSQL.

A burst of N sends at once (`POST /v1/agents/{id}/messages`, each to its own agent) while the fake provider answers
every call after a second. Printed per database and size: the wall time of the burst, the sends that failed by kind
(an HTTP status, a connection reset or refused), the latency of a send in the burst (median and slowest), the
connections the kernel dropped from a full listen queue meanwhile (a SYN the client sends again a second later) and,
on PostgreSQL, the most connections the database had open at once (pg_stat_activity, sampled every 10 ms), and the
CPU time the server process used for the burst (a CPU-bound burst's wall, whatever else the machine runs). Before the
bursts, the cost of one send on its own: the median of sequential sends with an instant provider, end to end over
HTTP.

The client is a few lines of asyncio (one connection per send, `Connection: close`), so that it adds little CPU
of its own beside the server and a reset shows as the ConnectionResetError it is. PostgreSQL is a throwaway
pgserver, as for `pytest --postgres`. The server reads its settings from the environment as usual, so
`LETTA_DB_POOL_MAX=5 python -m bench concurrency` measures another pool size.

`python -m bench` runs a smoke size (20); `python -m bench concurrency --sends 200 500` the full ones.
"""

import argparse
import asyncio
import json
import os
import threading
import time
from collections import Counter

from bench.setup import django_on_scratch_db, fake_openai_provider, median

PROVIDER_DELAY = 1.0  # seconds the fake takes to answer each call during a burst
SEND_TIMEOUT = 300.0  # a send still unanswered after this counts as failed ("timeout"), never hangs the bench
SAMPLE_INTERVAL = 0.01


# ----------------------------------------------------------------------------------------------- the client


async def post(port: int, path: str, body: dict, key: str) -> int:
    """POST `body` to the server on 127.0.0.1 and answer the HTTP status; network errors propagate."""
    payload = json.dumps(body).encode()
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {key}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\nConnection: close\r\n\r\n"
    )
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(head.encode() + payload)
        await writer.drain()
        status_line = await reader.readline()
        if not status_line:
            raise ConnectionResetError("the server closed the connection without answering")
        await reader.read()  # the body, up to the close the request asked for
        return int(status_line.split()[1])
    finally:
        writer.close()


def failure_kind(exc: BaseException) -> str:
    if isinstance(exc, ConnectionResetError):
        return "connection reset"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, TimeoutError):
        return "timeout"
    return type(exc).__name__


async def timed_send(port: int, agent_id: str, key: str) -> tuple[str | None, float]:
    """One send: (failure kind or None, seconds it took)."""
    began = time.monotonic()
    body = {"messages": [{"role": "user", "content": "hello"}]}
    try:
        status = await asyncio.wait_for(post(port, f"/v1/agents/{agent_id}/messages", body, key), SEND_TIMEOUT)
    except Exception as exc:
        return failure_kind(exc), time.monotonic() - began
    return (None if status == 200 else f"HTTP {status}"), time.monotonic() - began


def listen_overflows() -> int | None:
    """The kernel's count of connections dropped because a listen queue was full (all sockets of the machine;
    Linux only). A backlog too short for the burst shows here even when the client's retries hide it."""
    try:
        with open("/proc/net/netstat") as stats:
            lines = stats.read().splitlines()
    except OSError:
        return None
    for names, values in zip(lines[::2], lines[1::2]):
        if names.startswith("TcpExt:"):
            return int(dict(zip(names.split(), values.split()))["ListenOverflows"])
    return None


async def burst(port: int, agent_ids: list[str], key: str) -> tuple[float, list[tuple[str | None, float]]]:
    began = time.monotonic()
    results = await asyncio.gather(*(timed_send(port, agent_id, key) for agent_id in agent_ids))
    return time.monotonic() - began, results


# ----------------------------------------------------------------------------------------------- PostgreSQL


class ConnectionSampler:
    """The most connections PostgreSQL had open to the database at once (other than its own), sampled from a
    thread of this process (its own Django connection) while the burst runs."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        from django.db import connection

        try:
            with connection.cursor() as cursor:
                while not self._stop.wait(SAMPLE_INTERVAL):
                    cursor.execute(
                        "SELECT count(*) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    )
                    self.peak = max(self.peak, cursor.fetchone()[0])
        finally:
            connection.close()


def use_throwaway_postgres():
    """Point this process at a new throwaway PostgreSQL and migrate it; answers the server (`.cleanup()` ends it)."""
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connections

    from tests.postgres import database_settings, start_throwaway_server

    server = start_throwaway_server()
    connections.close_all()
    settings.DATABASES["default"] = database_settings(server.get_uri())
    del connections["default"]
    connections.__dict__.pop("settings", None)
    call_command("migrate", verbosity=0)
    return server


def use_database(entry: dict) -> None:
    from django.conf import settings
    from django.db import connections

    connections.close_all()
    settings.DATABASES["default"] = entry
    del connections["default"]
    connections.__dict__.pop("settings", None)


# ----------------------------------------------------------------------------------------------- one database


def make_agents(count: int) -> tuple[list[str], str]:
    from accounts import services as accounts
    from accounts.models import Organization
    from agents import services

    org = Organization.default()
    ids = [
        services.create_agent(organization_id=org.id, name=f"bench-burst-{i}", model="openai/gpt-4.1-mini").id
        for i in range(count)
    ]
    _, key = accounts.create_api_key(organization_id=org.id, name="bench concurrency")
    return ids, key


def per_send_ms(port: int, agent_id: str, key: str, sends: int) -> float:
    """Median milliseconds of one send on its own (the provider answers at once)."""

    async def sequential() -> list[float]:
        times = []
        for _ in range(sends):
            failure, seconds = await timed_send(port, agent_id, key)
            if failure:
                raise RuntimeError(f"a lone send failed: {failure}")
            times.append(seconds * 1000)
        return times

    return median(asyncio.run(sequential()))


def run_database(label: str, sizes: list[int], lone_sends: int, fake) -> list[str]:
    """Measure on the database Django is set up with; answers the table's rows."""
    from django.conf import settings
    from django.db import connection

    from tests.api.live_server import LiveServer
    from tests.fakes import Reply
    from tests.postgres import database_env

    postgres = connection.vendor == "postgresql"
    agent_ids, key = make_agents(max(sizes))
    connection.close()  # from here on, the connections PostgreSQL counts are the server's (and the sampler's)
    server = LiveServer(
        {
            **database_env(settings.DATABASES["default"]),
            "OPENAI_BASE_URL": fake.base_url,
            "OPENAI_API_KEY": "sk-bench",
            "LETTA_LLM_MAX_RETRIES": "0",
        }
    )
    rows = []
    try:
        fake.responder = lambda request: Reply(text="hi")
        per_send_ms(server.port, agent_ids[0], key, 3)  # warm: imports, first connections, caches
        lone = per_send_ms(server.port, agent_ids[0], key, lone_sends)
        rows.append(f"  {label:<10} one send alone, instant provider: median {lone:.1f} ms ({lone_sends} sends)")
        fake.responder = lambda request: Reply(text="hi", delay=PROVIDER_DELAY)
        for size in sizes:
            overflows = listen_overflows()
            cpu = cpu_seconds(server.process.pid)
            with ConnectionSampler() if postgres else _NoSampler() as sampler:
                wall, results = asyncio.run(burst(server.port, agent_ids[:size], key))
            if overflows is not None:
                overflows = listen_overflows() - overflows
            if cpu is not None:
                cpu = cpu_seconds(server.process.pid) - cpu
            rows.append(_burst_row(label, size, wall, results, sampler.peak if postgres else None, overflows, cpu))
        rows += _server_errors(server.output())
    finally:
        server.close()
    return rows


def _server_errors(log: str, most: int = 5) -> list[str]:
    """What the server logged as the cause of its failures: the distinct last lines of its tracebacks."""
    lines = log.splitlines()
    causes = Counter(
        line.strip()
        for line, following in zip(lines, lines[1:] + [""])
        if "Error:" in line and not line.startswith((" ", "Internal Server Error")) and not following.startswith(" ")
    )
    return [f"      server logged {count} x {cause[:160]}" for cause, count in causes.most_common(most)]


class _NoSampler:
    peak = None

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        pass


def cpu_seconds(pid: int) -> float | None:
    """The CPU time (user + system) process `pid` has used so far (Linux only): a burst's wall on a CPU-bound
    server is this, whatever else the machine runs."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _burst_row(
    label: str, size: int, wall: float, results, peak: int | None, overflows: int | None, cpu: float | None
) -> str:
    failures = Counter(kind for kind, _ in results if kind)
    failed = ", ".join(f"{count} {kind}" for kind, count in failures.most_common()) or "none"
    latencies = [seconds for _, seconds in results]
    peak_text = "-" if peak is None else str(peak)
    cpu_text = "-" if cpu is None else f"{cpu:.1f} s"
    return (
        f"  {label:<10} {size:>5} sends  wall {wall:6.2f} s  server CPU {cpu_text:>6}  "
        f"ok {size - sum(failures.values()):>4}  "
        f"latency p50 {median(latencies):5.2f} s max {max(latencies):5.2f} s  "
        f"peak PG connections {peak_text:>4}  listen overflows {'-' if overflows is None else overflows:>4}  "
        f"failures: {failed}"
    )


# ----------------------------------------------------------------------------------------------- entry points


def main(small: bool = False, sends: list[int] | None = None, databases: tuple[str, ...] = ("sqlite", "postgres")):
    sizes = sends or [20]
    lone_sends = 20 if small else 50
    django_on_scratch_db()
    from django.conf import settings

    from tests.fakes import Reply

    fake = fake_openai_provider(lambda request: Reply(text="hi"))
    embedded = dict(settings.DATABASES["default"])
    rows = []
    try:
        if "sqlite" in databases:
            rows += run_database("SQLite", sizes, lone_sends, fake)
        if "postgres" in databases:
            server = use_throwaway_postgres()
            try:
                rows += run_database("PostgreSQL", sizes, lone_sends, fake)
            finally:
                use_database(embedded)
                server.cleanup()
    finally:
        fake.close()
    print(f"concurrent sends, each to its own agent, fake provider answering after {PROVIDER_DELAY:g} s (one daphne)")
    for row in rows:
        print(row)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench concurrency", description=__doc__)
    parser.add_argument("--sends", type=int, nargs="+", default=[20], help="burst sizes (default: 20)")
    parser.add_argument(
        "--database", choices=("sqlite", "postgres"), action="append", help="only this database (repeatable)"
    )
    return parser.parse_args(argv)


def cli(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    main(sends=args.sends, databases=tuple(args.database or ("sqlite", "postgres")))


if __name__ == "__main__":
    cli()
