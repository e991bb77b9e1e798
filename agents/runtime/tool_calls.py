"""Checking the tool calls a model asked for, and executing the server-side ones: a step's tool stage.

Built-in tools run synchronously inside the step's transaction (the loop opens it around this stage and the
persist stage), so their memory edits land together with the messages that explain them, or not at all. Custom
tools ran before it, in their sandbox (`sandboxed.py`); their returns are picked up here.
"""

import json
import time
from dataclasses import dataclass, field

from django.utils import timezone

from agents import services
from agents.llm import ToolCall
from agents.models import Agent
from agents.recall import search_messages
from agents.runtime.embeddings import lookup
from agents.runtime.state import RunState
from agents.runtime.tool_agent import written_back
from agents.runtime.transcript import format_time
from memory.services import EditActor
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
                # strict=False: small open models write raw newlines and tabs inside JSON strings; the intent is
                # plain, and refusing it only makes them try again with the same mistake.
                args = json.loads(call.arguments or "{}", strict=False)
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


@dataclass(slots=True)
class ExecutedCalls:
    """What a step's tool calls did, in call order."""

    returns: list[dict] = field(default_factory=list)  # one tool-return entry per call
    ran: list[str] = field(default_factory=list)  # names of the tools that ran server-side
    changed_block_ids: list[str] = field(default_factory=list)  # memory blocks the built-in tools changed
    # Each call that ran, in call order: {"tool_call_id", "name", "duration_ns"} (the step's tool_timings).
    timings: list[dict] = field(default_factory=list)
    inside_ns: int = 0  # time the built-in tools took here, inside the step's transaction

    def timed(self, item: PlannedCall, duration_ns: int | None) -> None:
        self.timings.append({"tool_call_id": item.call.id, "name": item.name, "duration_ns": duration_ns})


def execute_calls(
    state: RunState, planned: list[PlannedCall], step_id: str | None, decided: dict[str, dict] | None = None
) -> ExecutedCalls:
    """Run each call (or take the person's decision for it, or the sandbox's return) and collect what happened.
    Call inside the step's transaction: the built-in tools write memory."""
    build = context_factory(state)
    executed = ExecutedCalls()
    for item in planned:
        if decided and item.call.id in decided:
            ret = decided[item.call.id]
        elif item.call.id in state.ran_outside:
            ret = state.ran_outside[item.call.id]
            if item.call.id in state.ran_outside_blocks:
                ret = _with_block_values(state, item, step_id, ret, executed)
            executed.ran.append(item.name)
            executed.timed(item, state.ran_outside_ns.get(item.call.id))
        else:
            # Rules are checked again at run time: an earlier call of this same response may have changed them.
            if item.error is None and (problem := state.rules.check_call(item.name, state.tool_names())):
                item.error = problem
            began = time.monotonic_ns()
            ret, result = run_call(state, item, step_id, build)
            if result is not None:
                took = time.monotonic_ns() - began
                executed.inside_ns += took
                executed.timed(item, took)
                executed.ran.append(item.name)
                executed.changed_block_ids += result.changed_block_ids
        state.rules.record_call(item.name, ret["func_response"])
        executed.returns.append(ret)
    return executed


def _with_block_values(state: RunState, item: PlannedCall, step_id, ret: dict, executed: ExecutedCalls) -> dict:
    """A sandboxed call's return once the block values it set through `agent_state` are written."""
    result = ToolResult(status=ret["status"], func_return=ret["func_response"])
    result.block_values = state.ran_outside_blocks.pop(item.call.id)
    result = written_back(result, state.agent, step_id=step_id, tool_call_id=item.call.id, tool_name=item.name)
    executed.changed_block_ids += result.changed_block_ids
    return {**ret, "status": result.status, "func_response": result.func_return}


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


def context_factory(state: RunState):
    return tool_context_factory(state.agent, state.blocks, state.embeddings, state.thread.conversation_id)


def tool_context_factory(
    agent: Agent, blocks: dict[str, str], embeddings: dict[str, list[float]], conversation_id: str | None = None
):
    """Builds the ToolContext of each built-in tool call on `agent` in a thread (its default one unless a
    conversation is named: conversation_search covers that thread); `blocks` (label -> id) is updated in place
    when a tool attaches a new block."""

    def attach(label: str, value: str, *, step_id, tool_call_id, tool_name) -> str:
        block_id = services.attach_new_block(
            agent, label, value, EditActor.agent(agent.id, step_id, tool_call_id, tool_name)
        )
        blocks[label] = block_id
        return block_id

    def build(*, step_id, tool_call_id, tool_name) -> ToolContext:
        return ToolContext(
            organization_id=agent.organization_id,
            agent_id=agent.id,
            step_id=step_id,
            tool_call_id=tool_call_id,
            tool_name=tool_name,
            blocks=blocks,
            timezone=agent.timezone,
            ensure_archive=lambda: services.ensure_archive(agent),
            attach_new_block=lambda label, value: attach(
                label, value, step_id=step_id, tool_call_id=tool_call_id, tool_name=tool_name
            ),
            search_messages=lambda *a, **kw: search_messages(
                agent.id, *a, tz=agent.timezone, conversation_id=conversation_id, **kw
            ),
            conversation_id=conversation_id,
            embed_fn=lookup(embeddings) if embeddings else None,
            embedding_model=agent.embedding if embeddings else None,
        )

    return build
