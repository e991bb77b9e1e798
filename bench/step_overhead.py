"""Platform overhead per agent step against a zero-latency fake provider.

Overhead = a step's wall time minus the time the provider call took (measured around the SDK call, so it
includes the loopback HTTP round trip and the fake's own work: the figure is an upper bound on our cost).
Each measured turn is one step: the model answers with plain text. Prior messages are stored history; the
"in context" case keeps them all in the buffer sent to the model (no compaction yet), the "recall" case keeps
only the last 10 in context and the rest in recall memory.
"""

import asyncio
import time

from bench.setup import django_on_scratch_db, median


def seed_history(agent, count: int, in_context: int):
    from django.db import transaction

    from agents.models import Agent, Message

    rows = []
    for i in range(count):
        role = "user" if i % 2 == 0 else "assistant"
        text = f"prior message {i}: some ordinary conversation text about tea, chess and travel plans."
        rows.append(Message(organization_id=agent.organization_id, agent=agent, role=role,
                            content=[{"type": "text", "text": text}], text=text))
    with transaction.atomic():
        Message.objects.bulk_create(rows, batch_size=500)
    ids = list(Message.objects.filter(agent=agent).exclude(role="system").order_by("sequence_id")
               .values_list("id", flat=True))
    keep = ids[-in_context:] if in_context else []
    agent.message_ids = agent.message_ids[:1] + keep
    Agent.objects.filter(pk=agent.pk).update(message_ids=agent.message_ids)


async def measure(agent_id: str, turns: int) -> tuple[list[float], list[float]]:
    from agents.models import Step
    from agents.runtime.loop import run_agent

    overheads, walls = [], []
    for i in range(turns):
        started = time.perf_counter_ns()
        result = await run_agent(agent_id, input=f"turn {i}")
        wall = time.perf_counter_ns() - started
        step = await Step.objects.filter(run_id=result.run_id).afirst()
        overheads.append((wall - step.llm_duration_ns) / 1e6)
        walls.append(wall / 1e6)
    return overheads, walls


def main(small: bool = False) -> None:
    django_on_scratch_db()
    from django.conf import settings

    from accounts.models import Organization
    from agents import services
    from tests.fakes import Reply, start_fake_openai

    fake = start_fake_openai()
    fake.responder = lambda request: Reply(text="ok", prompt_tokens=100, completion_tokens=2)
    settings.LLM_PROVIDERS = {"openai": {"provider_type": "openai", "api_key": "x", "base_url": fake.base_url}}
    org = Organization.default()
    sizes = (10, 100) if small else (10, 1_000)
    turns = 5 if small else 40
    print(f"step overhead, {turns} single-step turns each (ms: median / p90 overhead, median wall)")
    for history in sizes:
        for label, in_context in (("in context", history), ("recall", 10)):
            agent = services.create_agent(organization_id=org.id, name=f"bench-{history}-{label}",
                                          model="openai/gpt-4.1-mini",
                                          memory_blocks=[{"label": "human", "value": "Name: Ada"},
                                                         {"label": "persona", "value": "Helpful."}])
            seed_history(agent, history, in_context)
            asyncio.run(measure(agent.id, 3))  # warm caches and connections
            overheads, walls = asyncio.run(measure(agent.id, turns))
            p90 = sorted(overheads)[int(len(overheads) * 0.9) - 1]
            print(f"  {history:>6} prior messages, {label:<10}: overhead {median(overheads):6.2f} / {p90:6.2f}"
                  f"   wall {median(walls):6.2f}")
    fake.close()
