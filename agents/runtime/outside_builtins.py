"""The built-in tools that wait on the network or a sandbox (web_search, fetch_webpage, run_code: OUTSIDE_TOOLS)
run before the step's transaction, beside the custom tools (`sandboxed.py`): a slow page or search must not hold
the database. Their context carries ids and the agent's secrets only; they read and write nothing of the agent's
state."""

import time

from agents.runtime.state import RunState
from agents.runtime.tool_calls import PlannedCall, tool_return
from agents.secrets import as_environment
from tools.builtin import OUTSIDE_TOOLS
from tools.context import ToolContext, ToolResult
from tools.executor import execute_outside


def runs_outside(state: RunState, item: PlannedCall) -> bool:
    tool = state.tools.get(item.name)
    return (
        item.error is None
        and tool is not None
        and not tool.is_client_tool
        and tool.tool_type != "custom"
        and item.name in OUTSIDE_TOOLS
    )


async def run_outside_builtin(
    agent, tool_name: str, arguments: dict, return_char_limit: int, tool_call_id: str | None = None
) -> ToolResult:
    """One OUTSIDE_TOOLS call for `agent` (the loop's, or the agent tool-run route's)."""
    ctx = ToolContext(
        organization_id=agent.organization_id,
        agent_id=agent.id,
        tool_call_id=tool_call_id,
        tool_name=tool_name,
        secrets=as_environment(agent.secrets),
    )
    return await execute_outside(tool_name, arguments, ctx, return_char_limit=return_char_limit)


async def run_builtin_call(state: RunState, item: PlannedCall) -> tuple[dict, int]:
    """The call's tool return and how long it took, as `sandboxed._run_one` gives them for a custom tool."""
    began = time.monotonic_ns()
    tool = state.tools[item.name]
    result = await run_outside_builtin(
        state.agent, item.name, item.arguments or {}, tool.return_char_limit, tool_call_id=item.call.id
    )
    ret = tool_return(item.call.id, item.name, result.status, result.func_return, result.stdout, result.stderr)
    return ret, time.monotonic_ns() - began
