"""What keeping provider traces costs a send: sends per second with traces stored (the default) and with
LETTA_TRACE_KEEP_DAYS=0 (none stored), against the instant fake provider, for a short and a long context.

Each send is one step: every step stores one trace (the request as posted, its streamed events). The two
settings are measured in alternating rounds, so drift on a shared machine hits both alike.
"""

import asyncio
import time

from bench.setup import django_on_scratch_db, fake_openai_provider, median
from bench.step_overhead import respond, seed_history


async def sends_per_second(agent_id: str, turns: int) -> tuple[float, float]:
    """(sends per second, median ms per send) for `turns` sends from the same context."""
    from asgiref.sync import sync_to_async

    from agents.models import Agent
    from agents.runtime.loop import run_agent

    agent = await Agent.objects.aget(pk=agent_id)
    buffer = agent.message_ids
    walls = []
    began = time.perf_counter()
    for i in range(turns):
        await sync_to_async(agent.replace_context)(buffer)
        started = time.perf_counter_ns()
        await run_agent(agent_id, input=f"turn {i}")
        walls.append((time.perf_counter_ns() - started) / 1e6)
    return turns / (time.perf_counter() - began), median(walls)


def store_cost(agent, samples: int) -> float:
    """Median ms to store one trace like the agent's last one (its request and streamed answer), in a
    transaction as a step does: the cost itself, without the noise of whole sends."""
    from django.db import transaction

    from agents import traces
    from agents.llm import ProviderCall
    from agents.models import ProviderTrace

    last = ProviderTrace.objects.filter(agent=agent).latest("created_at")
    call = ProviderCall(
        provider_type="openai", endpoint=last.endpoint, request=last.request_json, events=last.response_json["stream"]
    )
    where = {"organization_id": agent.organization_id, "agent_id": agent.id, "run_id": last.run_id, "step_id": None}
    times = []
    for _ in range(samples):
        started = time.perf_counter_ns()
        with transaction.atomic():
            traces.store([call], **where)
        times.append((time.perf_counter_ns() - started) / 1e6)
    return median(times)


def main(small: bool = False) -> None:
    django_on_scratch_db()
    from django.conf import settings

    from accounts.models import Organization
    from agents import services
    from agents.models import ProviderTrace

    fake = fake_openai_provider(respond)
    org = Organization.default()
    turns, rounds = (5, 2) if small else (30, 3)
    keep_days = settings.TRACE_KEEP_DAYS or 7
    print(f"provider traces, {rounds} alternating rounds of {turns} sends each (sends/s, median ms per send)")
    for in_context in (10, 200):
        agent = services.create_agent(
            organization_id=org.id,
            name=f"bench-traces-{in_context}",
            model="openai/gpt-4.1-mini",
            memory_blocks=[{"label": "human", "value": "Name: Ada"}, {"label": "persona", "value": "Helpful."}],
        )
        seed_history(agent, in_context, in_context)
        asyncio.run(sends_per_second(agent.id, 3))  # warm caches and connections
        figures: dict[str, list[tuple[float, float]]] = {"traces on": [], "KEEP_DAYS=0": []}
        for _ in range(rounds):
            for label, days in (("traces on", keep_days), ("KEEP_DAYS=0", 0)):
                settings.TRACE_KEEP_DAYS = days
                figures[label].append(asyncio.run(sends_per_second(agent.id, turns)))
        settings.TRACE_KEEP_DAYS = keep_days
        stored = ProviderTrace.objects.filter(agent=agent)
        size = max((len(str(t.request_json)) for t in stored[:1]), default=0)
        cost = store_cost(agent, 20 if small else 200)
        on, off = (median([rate for rate, _ in figures[k]]) for k in ("traces on", "KEEP_DAYS=0"))
        ms_on, ms_off = (median([ms for _, ms in figures[k]]) for k in ("traces on", "KEEP_DAYS=0"))
        print(
            f"  {in_context:>4} messages in context (request ~{size // 1024} KiB): traces on {on:6.1f}/s "
            f"({ms_on:5.2f} ms), KEEP_DAYS=0 {off:6.1f}/s ({ms_off:5.2f} ms): "
            f"{(ms_on - ms_off):+.2f} ms per send, {(on - off) / off:+.0%} sends/s; storing one trace alone "
            f"{cost:.2f} ms"
        )
    fake.close()


if __name__ == "__main__":
    main()
