"""Custom tools run in their sandbox before the step's transaction: a slow tool must not hold the database."""

import asyncio

from django.conf import settings

from agents.runtime.state import RunState
from agents.runtime.tool_calls import PlannedCall, tool_return
from tools.sandbox import SandboxLimits, run_tool_source
from tools.schema import check_arguments


def _runs_in_sandbox(state: RunState, item: PlannedCall) -> bool:
    tool = state.tools.get(item.name)
    return item.error is None and tool is not None and tool.tool_type == "custom" and bool(tool.source_code)


async def _run_one(state: RunState, item: PlannedCall) -> dict:
    tool = state.tools[item.name]
    if problems := check_arguments(tool.schema, item.arguments or {}):
        return tool_return(item.call.id, item.name, "error", f"Error: {item.name}() {'; '.join(problems)}.")
    secrets = {k: str(v) for k, v in (state.agent.secrets or {}).items() if v is not None}
    result = await run_tool_source(tool.source_code, item.name, item.arguments or {}, env=secrets,
                                   limits=SandboxLimits(timeout_seconds=settings.TOOL_TIMEOUT_SECONDS))
    text = result.func_return
    if len(text) > tool.return_char_limit:
        text = (text[: tool.return_char_limit] + f"... [NOTE: function output was truncated since it exceeded the "
                f"character limit ({len(result.func_return)} > {tool.return_char_limit})]")
    return tool_return(item.call.id, item.name, result.status, text, result.stdout, result.stderr)


async def run_custom_tools(state: RunState, planned: list[PlannedCall]) -> None:
    """Run this step's custom-tool calls (concurrently) and keep their returns for the step to persist."""
    outside = [item for item in planned if _runs_in_sandbox(state, item)]
    returns = await asyncio.gather(*(_run_one(state, item) for item in outside))
    state.ran_outside = {ret["tool_call_id"]: ret for ret in returns}
