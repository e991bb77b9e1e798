"""Compaction on request (`POST /v1/agents/{id}/summarize`): outside a conversation turn, but
holding the agent's run slot, so it never races a running turn."""

import time

from asgiref.sync import sync_to_async

from agents.providers import ModelConfigError, aresolve
from agents.runtime import compaction, run_lifecycle
from agents.runtime.emitter import Emitter
from agents.runtime.errors import RunRefused
from agents.runtime.state import load_run_state
from agents.runtime.system_message import refresh_system_message
from agents.runtime.transcript import text_of


def _load(agent_id: str, organization_id: str | None, run_id: str):
    agent = run_lifecycle.get_agent(agent_id, organization_id)
    refresh_system_message(agent)
    return load_run_state(agent, run_id, max_steps=1, stream_tokens=False, client_tools=None)


async def summarize_agent(agent_id: str, organization_id: str | None = None) -> dict:
    """Summarize the older half (at least) of the agent's context. Raises RunRefused when there is nothing to
    summarize, and AgentBusyError while a turn run_lifecycle."""
    agent = await sync_to_async(run_lifecycle.get_agent)(agent_id, organization_id)
    try:
        model = await aresolve(agent.model, agent.organization_id)
    except ModelConfigError as exc:
        raise RunRefused(str(exc)) from exc
    run = await run_lifecycle.start_run(agent, {"type": "summarize"}, wait=False)
    started = time.monotonic_ns()
    state = await sync_to_async(_load)(agent_id, organization_id, run.id)
    before = len(state.buffer)
    stop = await compaction.compact(state, model, Emitter(state, None), trigger="manual")
    after = len(state.buffer)
    if stop is None and after >= before:
        await sync_to_async(run_lifecycle.discard_run)(run.id)
        raise RunRefused(f"Nothing to summarize: agent {agent_id} has only {before} messages in context.")
    await sync_to_async(run_lifecycle.finish_run)(
        run.id,
        agent_id,
        stop.reason if stop else "end_turn",
        started_ns=started,
        ended_ns=time.monotonic_ns(),
        ttft_ns=None,
        error=stop.error if stop else None,
    )
    if stop is not None:
        raise RunRefused(stop.error["message"] if stop.error else f"Summarizing stopped: {stop.reason}.")
    summary = state.buffer[1]
    return {
        "summary": compaction.summary_body(text_of(summary.content)),
        "num_messages_before": before,
        "num_messages_after": after,
    }
