"""Custom tools run in their sandbox before the step's transaction: a slow tool must not hold the database. So do
the built-in tools that wait on the network or a sandbox (web_search, fetch_webpage, run_code: OUTSIDE_TOOLS)."""

import asyncio
import time

from django.conf import settings

from agents.runtime.state import RunState
from agents.runtime.tool_calls import PlannedCall, tool_return
from tools.builtin import OUTSIDE_TOOLS
from tools.context import ToolContext
from tools.executor import execute_outside
from tools.sandbox import run_custom_tool


def _runs_in_sandbox(state: RunState, item: PlannedCall) -> bool:
    tool = state.tools.get(item.name)
    return item.error is None and tool is not None and tool.tool_type == "custom" and bool(tool.source_code)


def _runs_outside(state: RunState, item: PlannedCall) -> bool:
    tool = state.tools.get(item.name)
    return (
        item.error is None
        and tool is not None
        and not tool.is_client_tool
        and tool.tool_type != "custom"
        and item.name in OUTSIDE_TOOLS
    )


async def run_outside_builtin(agent, tool_name: str, arguments: dict, return_char_limit: int, tool_call_id=None):
    """One OUTSIDE_TOOLS call for `agent`. Its context carries ids only: it runs with no transaction open and
    reads nothing of the agent's state."""
    ctx = ToolContext(
        organization_id=agent.organization_id, agent_id=agent.id, tool_call_id=tool_call_id, tool_name=tool_name
    )
    return await execute_outside(tool_name, arguments, ctx, return_char_limit=return_char_limit)


def agent_secrets(agent) -> dict[str, str]:
    """The agent's secrets as the environment of its custom tools."""
    return {k: str(v) for k, v in (agent.secrets or {}).items() if v is not None}


async def _run_one(state: RunState, item: PlannedCall) -> tuple[dict, int]:
    """The call's tool return and how long it took (its own time: calls run concurrently)."""
    tool = state.tools[item.name]
    began = time.monotonic_ns()
    if _runs_outside(state, item):
        result = await run_outside_builtin(
            state.agent, item.name, item.arguments or {}, tool.return_char_limit, tool_call_id=item.call.id
        )
    else:
        result = await run_custom_tool(
            tool.source_code,
            item.name,
            item.arguments or {},
            schema=tool.schema,
            return_char_limit=tool.return_char_limit,
            env=agent_secrets(state.agent),
            timeout_seconds=settings.TOOL_TIMEOUT_SECONDS,
        )
    ret = tool_return(item.call.id, item.name, result.status, result.func_return, result.stdout, result.stderr)
    return ret, time.monotonic_ns() - began


async def run_custom_tools(state: RunState, planned: list[PlannedCall]) -> None:
    """Run this step's custom-tool calls (concurrently) and keep their returns for the step to persist."""
    outside = [item for item in planned if _runs_in_sandbox(state, item) or _runs_outside(state, item)]
    done = await asyncio.gather(*(_run_one(state, item) for item in outside))
    state.ran_outside = {ret["tool_call_id"]: ret for ret, _ in done}
    state.ran_outside_ns = {ret["tool_call_id"]: ns for ret, ns in done}
