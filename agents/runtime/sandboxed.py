"""Custom tools (in their sandbox) and MCP tools (on their server) run before the step's transaction: a slow tool
must not hold the database."""

import asyncio
import time

from agents.runtime.outside_builtins import run_builtin_call, runs_outside
from agents.runtime.state import RunState
from agents.runtime.tool_agent import run_agents_custom_tool
from agents.runtime.tool_calls import PlannedCall, tool_return
from tools.mcp.services import run_mcp_tool


def _runs_in_sandbox(state: RunState, item: PlannedCall) -> bool:
    tool = state.tools.get(item.name)
    if item.error is not None or tool is None:
        return False
    return tool.tool_type == "external_mcp" or (tool.tool_type == "custom" and bool(tool.source_code))


async def _run_one(state: RunState, item: PlannedCall) -> tuple[dict, int]:
    """The call's tool return and how long it took (its own time: calls run concurrently)."""
    tool = state.tools[item.name]
    began = time.monotonic_ns()
    if tool.tool_type == "external_mcp":
        result = await run_mcp_tool(tool.id, item.arguments or {})
        ret = tool_return(item.call.id, item.name, result.status, result.func_return)
        return ret, time.monotonic_ns() - began
    result = await run_agents_custom_tool(
        state.agent,
        name=item.name,
        source=tool.source_code,
        schema=tool.schema,
        return_char_limit=tool.return_char_limit,
        args=item.arguments or {},
        run_id=state.run_id,
    )
    if result.block_values:
        state.ran_outside_blocks[item.call.id] = result.block_values
    ret = tool_return(item.call.id, item.name, result.status, result.func_return, result.stdout, result.stderr)
    return ret, time.monotonic_ns() - began


async def run_custom_tools(state: RunState, planned: list[PlannedCall]) -> None:
    """Run this step's custom-tool and MCP-tool calls (concurrently) and keep their returns for the step to persist."""
    outside = [item for item in planned if _runs_in_sandbox(state, item)]
    builtins = [item for item in planned if runs_outside(state, item)]  # web_search, fetch_webpage, run_code
    done = await asyncio.gather(
        *(_run_one(state, item) for item in outside), *(run_builtin_call(state, item) for item in builtins)
    )
    state.ran_outside = {ret["tool_call_id"]: ret for ret, _ in done}
    state.ran_outside_ns = {ret["tool_call_id"]: ns for ret, ns in done}
