"""Idle memory of one web process with many agents stored (issue 19 §5: under 150 MiB with 10,000 agents).

N agents are stored in-process through `agents.services.create_agent`, the service `POST /v1/agents/` calls (each
with its own two memory blocks and the base tools), then a real daphne process is started as `make run` starts it
(the in-process worker on) on that database. It answers a few requests a client would make (the first pages of the
agent list, one agent, one send to an instant fake provider), then sits idle; printed: the time it took to answer
its first health check (cold start) and its resident set size (VmRSS) after start, after the requests and idle.
"""

import argparse
import json
import time

from bench.setup import django_on_scratch_db, fake_openai_provider

IDLE_SECONDS = 5.0
PAGES = 5  # of the agent list, 50 agents each
BATCH = 500  # agents per transaction while seeding (one commit each, not one per agent)


def seed_agents(count: int) -> tuple[list[str], str]:
    """`count` real agents of the default organization and an API key for it: (agent ids, key)."""
    from django.db import transaction

    from accounts import services as accounts
    from accounts.models import Organization
    from agents import services

    org = Organization.default()
    ids = []
    for start in range(0, count, BATCH):
        with transaction.atomic():
            for i in range(start, min(start + BATCH, count)):
                agent = services.create_agent(
                    organization_id=org.id,
                    name=f"bench-memory-{i:05d}",
                    model="openai/gpt-4.1-mini",
                    memory_blocks=[
                        {"label": "human", "value": f"Name: user {i}. Likes tea and chess."},
                        {"label": "persona", "value": "A helpful assistant that remembers."},
                    ],
                    tags=[f"team-{i % 10}"],
                )
                ids.append(agent.id)
    _, key = accounts.create_api_key(organization_id=org.id, name="bench memory")
    return ids, key


def rss_mib(pid: int) -> float:
    """The process's resident set size (Linux: /proc/PID/status)."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def exercise(url: str, key: str, agent_id: str) -> list[str]:
    """What a client does first: page through the agent list, open one agent, send it a message. Answers the
    failures (empty when every request succeeded)."""
    import httpx

    failures = []
    headers = {"Authorization": f"Bearer {key}"}
    with httpx.Client(base_url=url, headers=headers, timeout=60) as client:
        after = None
        for _ in range(PAGES):
            params = {"limit": 50, **({"after": after} if after else {})}
            response = client.get("/v1/agents/", params=params)
            if response.status_code != 200:
                failures.append(f"list agents: HTTP {response.status_code}")
                break
            if not response.json():
                break  # fewer agents than pages
            after = response.json()[-1]["id"]
        for method, path, body in (
            ("GET", f"/v1/agents/{agent_id}", None),
            ("POST", f"/v1/agents/{agent_id}/messages", {"messages": [{"role": "user", "content": "hello"}]}),
        ):
            response = client.request(method, path, content=json.dumps(body) if body else None, headers=headers)
            if response.status_code != 200:
                failures.append(f"{method} {path}: HTTP {response.status_code}")
    return failures


def measure(count: int, idle: float = IDLE_SECONDS) -> dict:
    from django.conf import settings

    from tests.api.live_server import LiveServer
    from tests.fakes import Reply
    from tests.postgres import database_env

    fake = fake_openai_provider(lambda request: Reply(text="hi"))
    try:
        began = time.monotonic()
        agent_ids, key = seed_agents(count)
        seeded = time.monotonic() - began
        began = time.monotonic()
        server = LiveServer(
            {
                **database_env(settings.DATABASES["default"]),
                "OPENAI_BASE_URL": fake.base_url,
                "OPENAI_API_KEY": "sk-bench",
            }
        )
        cold_start = time.monotonic() - began
        try:
            pid = server.process.pid
            started = rss_mib(pid)
            failures = exercise(server.url, key, agent_ids[0])
            busy = rss_mib(pid)
            time.sleep(idle)
            idle_rss = rss_mib(pid)
        finally:
            server.close()
    finally:
        fake.close()
    return {
        "agents": count,
        "seed_s": seeded,
        "cold_start_s": cold_start,
        "rss_started": started,
        "rss_after_requests": busy,
        "rss_idle": idle_rss,
        "failures": failures,
    }


def print_figures(figures: dict) -> None:
    print(f"idle memory of one web process (daphne + in-process worker), {figures['agents']:,} agents stored")
    seeded, cold = figures["seed_s"], figures["cold_start_s"]
    print(f"  seeded in {seeded:.1f} s; cold start (first health check answered) {cold:.1f} s")
    print(
        f"  RSS MiB: started {figures['rss_started']:6.1f}   after list/get/send {figures['rss_after_requests']:6.1f}"
        f"   idle {figures['rss_idle']:6.1f}   (target: idle under 150 with 10,000 agents)"
    )
    print(f"  failed requests: {', '.join(figures['failures']) or 'none'}")


def main(small: bool = False, agents: int | None = None) -> None:
    django_on_scratch_db()
    count = agents or (50 if small else 10_000)
    print_figures(measure(count, idle=1.0 if small else IDLE_SECONDS))


def cli(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench memory", description=__doc__)
    parser.add_argument("--agents", type=int, default=10_000, help="agents stored (default: 10,000)")
    args = parser.parse_args(argv)
    main(agents=args.agents)


if __name__ == "__main__":
    cli()
