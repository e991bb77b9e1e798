"""Platform overhead per agent step against a zero-latency fake provider.

Overhead = a step's wall time minus the time the provider call took (measured around the SDK call, so it
includes the loopback HTTP round trip and the fake's own work: the figure is an upper bound on our cost).
Each measured turn is one step: the model answers with plain text. Prior messages are stored history; the
"in context" case keeps them all in the buffer sent to the model (no compaction yet), the "recall" case keeps
only the last 10 in context and the rest in recall memory. The full run also measures the 10-message case on a
throwaway PostgreSQL.
"""

import asyncio
import time

from bench.setup import django_on_scratch_db, fake_openai_provider, median


def report(label: str, overheads: list[float], walls: list[float]) -> None:
    p90 = sorted(overheads)[max(int(len(overheads) * 0.9) - 1, 0)]
    print(f"  {label}: overhead {median(overheads):6.2f} / {p90:6.2f}   wall {median(walls):6.2f}")


def seed_history(agent, count: int, in_context: int):
    from django.db import transaction

    from agents.models import Message

    rows = []
    for i in range(count):
        role = "user" if i % 2 == 0 else "assistant"
        text = f"prior message {i}: some ordinary conversation text about tea, chess and travel plans."
        rows.append(
            Message(
                organization_id=agent.organization_id,
                agent=agent,
                role=role,
                content=[{"type": "text", "text": text}],
                text=text,
            )
        )
    with transaction.atomic():
        Message.objects.bulk_create(rows, batch_size=500)
    ids = list(
        Message.objects.filter(agent=agent).exclude(role="system").order_by("sequence_id").values_list("id", flat=True)
    )
    keep = ids[-in_context:] if in_context else []
    agent.replace_context(agent.message_ids[:1] + keep, stored=len(rows))


async def measure(agent_id: str, turns: int, steps: int = 1, text: str = "turn") -> tuple[list[float], list[float]]:
    from asgiref.sync import sync_to_async

    from agents.models import Agent, Step
    from agents.runtime.loop import run_agent

    # Every turn starts from the same context, so the figure is for a fixed buffer size; what earlier turns
    # added stays stored (in recall), as history does.
    agent = await Agent.objects.aget(pk=agent_id)
    buffer = agent.message_ids
    overheads, walls = [], []
    for i in range(turns):
        await sync_to_async(agent.replace_context)(buffer)
        started = time.perf_counter_ns()
        result = await run_agent(agent_id, input=f"{text} {i}")
        wall = time.perf_counter_ns() - started
        llm_ns = sum([s.llm_duration_ns async for s in Step.objects.filter(run_id=result.run_id)])
        assert result.usage["step_count"] == steps, result.stop_reason
        overheads.append((wall - llm_ns) / 1e6 / steps)
        walls.append(wall / 1e6 / steps)
    return overheads, walls


def respond(request: dict):
    """Plain text, except that a turn asking for a tool gets one tool call first."""
    from tests.fakes import Reply

    last = request["messages"][-1]
    if last["role"] == "user" and "use a tool" in str(last["content"]):
        return Reply(
            tool_calls=[("memory_insert", {"label": "human", "new_string": "x"})],
            prompt_tokens=100,
            completion_tokens=10,
        )
    return Reply(text="ok", prompt_tokens=100, completion_tokens=2)


def main(small: bool = False) -> None:
    django_on_scratch_db()

    from accounts.models import Organization
    from agents import services

    fake = fake_openai_provider(respond)
    org = Organization.default()
    sizes = (10, 100) if small else (10, 1_000)
    turns = 5 if small else 40
    print(f"step overhead, {turns} single-step turns each (ms: median / p90 overhead, median wall)")
    for history in sizes:
        for label, in_context in (("in context", history), ("recall", 10)):
            agent = services.create_agent(
                organization_id=org.id,
                name=f"bench-{history}-{label}",
                model="openai/gpt-4.1-mini",
                memory_blocks=[{"label": "human", "value": "Name: Ada"}, {"label": "persona", "value": "Helpful."}],
            )
            seed_history(agent, history, in_context)
            asyncio.run(measure(agent.id, 3))  # warm caches and connections
            overheads, walls = asyncio.run(measure(agent.id, turns))
            report(f"{history:>6} prior messages, {label:<10}", overheads, walls)
    agent = services.create_agent(
        organization_id=org.id,
        name="bench-tools",
        model="openai/gpt-4.1-mini",
        memory_blocks=[{"label": "human", "value": "Name: Ada"}],
    )
    seed_history(agent, sizes[-1], 10)
    asyncio.run(measure(agent.id, 3))
    overheads, walls = asyncio.run(measure(agent.id, turns, steps=2, text="please use a tool"))
    report(f"{sizes[-1]:>6} prior, recall, 2-step turn (memory_insert + reply), per step", overheads, walls)
    if not small:  # a throwaway PostgreSQL takes a while to start; the smoke run stays on SQLite
        on_postgres(turns)
    fake.close()


async def on_a_new_thread(work):
    """`work`'s database calls on a thread of its own: the one the earlier measures used keeps its SQLite
    connection."""
    from letta_project.db import unit_of_work

    async with unit_of_work():
        return await work


def on_postgres(turns: int) -> None:
    """The 10-message case again on a throwaway PostgreSQL, its connection kept from turn to turn (as a server's
    shared threads keep theirs, or take one from the pool)."""
    from django.conf import settings

    from accounts.models import Organization
    from agents import services
    from bench.concurrency import use_database, use_throwaway_postgres

    embedded = dict(settings.DATABASES["default"])
    server = use_throwaway_postgres()
    try:
        agent = services.create_agent(
            organization_id=Organization.default().id,
            name="bench-postgres",
            model="openai/gpt-4.1-mini",
            memory_blocks=[{"label": "human", "value": "Name: Ada"}, {"label": "persona", "value": "Helpful."}],
        )
        seed_history(agent, 10, 10)
        asyncio.run(on_a_new_thread(measure(agent.id, 3)))
        overheads, walls = asyncio.run(on_a_new_thread(measure(agent.id, turns)))
        report("    10 prior messages, in context, PostgreSQL", overheads, walls)
    finally:
        use_database(embedded)
        server.cleanup()
