"""Checking the tool calls a model asked for, and running the server-side ones.

Built-in tools run synchronously inside the step's transaction, so their memory edits land together with the
messages that explain them, or not at all.
"""

import json
from dataclasses import dataclass

from django.utils import timezone

from agents.llm import ToolCall
from agents.runtime.state import RunState
from agents.runtime.transcript import format_time
from tools.builtin import BUILTIN_TOOLS
from tools.context import ToolContext, ToolResult
from tools.executor import execute_builtin


@dataclass(slots=True)
class PlannedCall:
    call: ToolCall
    arguments: dict | None = None
    error: str | None = None
    needs_approval: bool = False

    @property
    def name(self) -> str:
        return self.call.name


def plan_calls(state: RunState, calls: list[ToolCall]) -> list[PlannedCall]:
    available = state.tool_names()
    planned = []
    for call in calls:
        item = PlannedCall(call=call)
        if call.name not in state.tools:
            item.error = f"[ToolConstraintError] Tool '{call.name}' does not exist. Available tools: {available}."
        elif problem := state.rules.check_call(call.name, available):
            item.error = problem
        else:
            try:
                args = json.loads(call.arguments or "{}")
            except ValueError as exc:
                item.error = f"Error: the arguments for {call.name} are not valid JSON ({exc}). Send a JSON object."
            else:
                if not isinstance(args, dict):
                    item.error = f"Error: the arguments for {call.name} must be a JSON object."
                else:
                    item.arguments = {**args, **(state.rules.prefilled_args(call.name) or {})}
                    tool = state.tools[call.name]
                    item.needs_approval = tool.is_client_tool or state.rules.requires_approval(call.name)
        planned.append(item)
    return planned


def tool_return(call_id: str, name: str, status: str, response: str, stdout=None, stderr=None) -> dict:
    return {
        "tool_call_id": call_id,
        "tool_name": name,
        "status": status,
        "func_response": response,
        "stdout": stdout or [],
        "stderr": stderr or [],
        "time": format_time(timezone.now()),
    }


def run_call(
    state: RunState, planned: PlannedCall, step_id: str | None, context_factory
) -> tuple[dict, ToolResult | None]:
    """Run one call server-side; returns its tool-return entry and the executor's result (None if it never ran)."""
    if planned.error:
        return tool_return(planned.call.id, planned.name, "error", planned.error), None
    tool = state.tools[planned.name]
    if tool.name in BUILTIN_TOOLS and tool.tool_type != "custom":
        ctx: ToolContext = context_factory(step_id=step_id, tool_call_id=planned.call.id, tool_name=tool.name)
        result = execute_builtin(tool.name, planned.arguments or {}, ctx, return_char_limit=tool.return_char_limit)
    else:
        result = ToolResult(
            status="error",
            func_return=(
                f"Error: tool '{tool.name}' is a {tool.tool_type} tool, and this server cannot run that kind of "
                "tool yet. Detach it from the agent or supply it as a client tool."
            ),
        )
    return tool_return(
        planned.call.id, planned.name, result.status, result.func_return, result.stdout, result.stderr
    ), result
