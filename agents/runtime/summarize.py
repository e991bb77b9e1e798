"""Compaction on request (`POST /v1/agents/{id}/summarize`, `POST /v1/conversations/{id}/compact`): outside a
turn, but holding the thread's run slot, so it never races a running turn."""

import time

from asgiref.sync import sync_to_async

from agents.providers import ModelConfigError, aresolve
from agents.runtime import compaction, run_lifecycle
from agents.runtime.emitter import Emitter
from agents.runtime.errors import RunRefused
from agents.runtime.state import load_run_state
from agents.runtime.system_message import refresh_system_message
from agents.runtime.transcript import text_of
from agents.threads import load_thread, thread_agent


def _load(agent_id: str, organization_id: str | None, run_id: str, conversation_id: str | None):
    thread = load_thread(run_lifecycle.get_agent(agent_id, organization_id), conversation_id)
    refresh_system_message(thread.agent, thread=thread)
    return load_run_state(thread.agent, run_id, max_steps=1, stream_tokens=False, client_tools=None, thread=thread)


async def summarize_agent(
    agent_id: str, organization_id: str | None = None, conversation_id: str | None = None
) -> dict:
    """Summarize the older half (at least) of the thread's context (the agent's default one unless a conversation
    is named). Raises RunRefused when there is nothing to summarize, and AgentBusyError while a turn runs."""
    agent = await sync_to_async(thread_agent)(agent_id, organization_id, conversation_id)
    try:
        model = await aresolve(agent.model, agent.organization_id)
    except ModelConfigError as exc:
        raise RunRefused(str(exc)) from exc
    run = await run_lifecycle.start_run(agent, {"type": "summarize"}, wait=False, conversation_id=conversation_id)
    started = time.monotonic_ns()
    state = await sync_to_async(_load)(agent_id, organization_id, run.id, conversation_id)
    before = len(state.buffer)
    stop = await compaction.compact(state, model, Emitter(state, None), trigger="manual")
    after = len(state.buffer)
    if stop is None and after >= before:
        await sync_to_async(run_lifecycle.discard_run)(run.id)
        where = f"conversation {conversation_id}" if conversation_id else f"agent {agent_id}"
        raise RunRefused(f"Nothing to summarize: {where} has only {before} messages in context.")
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
