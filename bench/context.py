"""Compile and overview cost against stored history and block count.

"compile" = what a run does before its first model call (load the state, check the system message, build the
request); "overview" = the context window overview. Both must depend on the in-context buffer, not on how much
history is stored: every agent here has the same 20 messages in context and 10 to 100,000 stored.
"""

import time

from bench.setup import median


def seed(agent, stored: int, in_context: int = 20) -> None:
    from django.db import transaction

    from agents.models import Message

    rows = []
    for i in range(stored):
        text = f"stored message {i}: a line about tea, chess, travel plans and the weather."
        rows.append(
            Message(
                organization_id=agent.organization_id,
                agent=agent,
                role="user" if i % 2 == 0 else "assistant",
                content=[{"type": "text", "text": text}],
                text=text,
            )
        )
    with transaction.atomic():
        Message.objects.bulk_create(rows, batch_size=2000)
    ids = list(
        Message.objects.filter(agent=agent)
        .exclude(role="system")
        .order_by("-sequence_id")
        .values_list("id", flat=True)[:in_context]
    )
    agent.replace_context(agent.message_ids[:1] + ids[::-1], stored=len(rows))


def time_ms(fn, repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter_ns()
        fn()
        samples.append((time.perf_counter_ns() - started) / 1e6)
    return median(samples)


def compile_once(agent_id: str) -> None:
    from agents.models import Agent
    from agents.runtime.loop import build_request
    from agents.runtime.state import load_run_state
    from agents.runtime.system_message import refresh_system_message

    agent = Agent.objects.get(pk=agent_id)
    refresh_system_message(agent)
    state = load_run_state(agent, "run-bench", max_steps=1, stream_tokens=False, client_tools=None)
    request = build_request(state, "gpt-4.1-mini", [])
    state.ledger.fits(state.buffer, request.tools, 0.9 * state.context_window)


def overview_once(agent_id: str) -> None:
    from agents.context_window import context_overview
    from agents.models import Agent

    context_overview(Agent.objects.get(pk=agent_id))


def main(small: bool = False) -> None:
    from accounts.models import Organization
    from agents import services

    org = Organization.default()
    histories = (10, 1_000) if small else (10, 1_000, 100_000)
    repeat = 5 if small else 30
    print(f"context compile / overview, 20 messages in context (ms, median of {repeat})")
    for blocks in (2, 50):
        for stored in histories:
            specs = [
                {"label": f"block_{i}", "value": f"Fact number {i}: the user likes item {i}.", "limit": 5000}
                for i in range(blocks)
            ]
            agent = services.create_agent(
                organization_id=org.id, name=f"ctx-{blocks}-{stored}", model="openai/gpt-4.1-mini", memory_blocks=specs
            )
            seed(agent, stored)
            compile_ms = time_ms(lambda agent_id=agent.id: compile_once(agent_id), repeat)
            overview_ms = time_ms(lambda agent_id=agent.id: overview_once(agent_id), repeat)
            print(
                f"  {blocks:>3} blocks, {stored:>7} stored messages: compile {compile_ms:6.2f}   "
                f"overview {overview_ms:6.2f}"
            )
