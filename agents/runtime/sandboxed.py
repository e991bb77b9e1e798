"""Custom tools (in their sandbox) and MCP tools (on their server) run before the step's transaction: a slow tool
must not hold the database."""

import asyncio
import time

from django.conf import settings

from agents.runtime.state import RunState
from agents.runtime.tool_calls import PlannedCall, tool_return
from tools.mcp.services import run_mcp_tool
from tools.sandbox import run_custom_tool


def _runs_in_sandbox(state: RunState, item: PlannedCall) -> bool:
    tool = state.tools.get(item.name)
    if item.error is not None or tool is None:
        return False
    return tool.tool_type == "external_mcp" or (tool.tool_type == "custom" and bool(tool.source_code))


def agent_secrets(agent) -> dict[str, str]:
    """The agent's secrets as the environment of its custom tools."""
    return {k: str(v) for k, v in (agent.secrets or {}).items() if v is not None}


async def _run_one(state: RunState, item: PlannedCall) -> tuple[dict, int]:
    """The call's tool return and how long it took (its own time: calls run concurrently)."""
    tool = state.tools[item.name]
    began = time.monotonic_ns()
    if tool.tool_type == "external_mcp":
        result = await run_mcp_tool(tool.id, item.arguments or {})
        ret = tool_return(item.call.id, item.name, result.status, result.func_return)
        return ret, time.monotonic_ns() - began
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
    """Run this step's custom-tool and MCP-tool calls (concurrently) and keep their returns for the step to persist."""
    outside = [item for item in planned if _runs_in_sandbox(state, item)]
    done = await asyncio.gather(*(_run_one(state, item) for item in outside))
    state.ran_outside = {ret["tool_call_id"]: ret for ret, _ in done}
    state.ran_outside_ns = {ret["tool_call_id"]: ns for ret, ns in done}
