"""Running one of an agent's tools on request (`POST /v1/agents/{id}/tools/{name}/run`), outside any turn.

The call goes through the same paths as a call the model makes: built-in tools through the executor with the
agent's ToolContext (so memory edits keep their limits, read-only rules and revisions), custom tools through the
sandbox with the agent's secrets. Nothing is added to the agent's messages.
"""

from asgiref.sync import sync_to_async
from django.db import transaction

from accounts.errors import NotFoundError
from agents.models import Agent
from agents.runtime import run_lifecycle
from agents.runtime.embeddings import EMBEDDED_ARGUMENTS, embed_texts
from agents.runtime.errors import RunRefused
from agents.runtime.outside_builtins import run_outside_builtin
from agents.runtime.tool_agent import run_agents_custom_tool, written_back
from agents.runtime.tool_calls import tool_context_factory
from tools.builtin import BUILTIN_TOOLS, OUTSIDE_TOOLS
from tools.context import ToolResult
from tools.executor import execute_builtin
from tools.mcp.services import run_mcp_tool
from tools.models import Tool


class ToolNotAttached(NotFoundError, RunRefused):
    pass


def _load(agent_id: str, organization_id: str, tool_name: str) -> tuple[Agent, Tool]:
    agent = run_lifecycle.get_agent(agent_id, organization_id)
    tool = agent.tools.filter(name=tool_name).first()
    if tool is None:
        attached = ", ".join(agent.tools.order_by("name").values_list("name", flat=True)) or "none"
        raise ToolNotAttached(
            f"Tool '{tool_name}' not found on agent {agent_id} (attached tools: {attached}). "
            "Attach it first with PATCH /v1/agents/{id}/tools/attach/{tool_id}."
        )
    return agent, tool


def _run_builtin(agent: Agent, tool: Tool, args: dict, embeddings: dict) -> ToolResult:
    blocks = dict(agent.blocks.values_list("label", "id"))
    ctx = tool_context_factory(agent, blocks, embeddings)(step_id=None, tool_call_id=None, tool_name=tool.name)
    return execute_builtin(tool.name, args, ctx, return_char_limit=tool.return_char_limit)


@transaction.atomic
def _write_back(result: ToolResult, agent: Agent, tool_name: str) -> ToolResult:
    return written_back(result, agent, step_id=None, tool_call_id=None, tool_name=tool_name)


async def run_agent_tool(agent_id: str, organization_id: str, tool_name: str, args: dict) -> ToolResult:
    """Raises AgentNotFound or ToolNotAttached; anything the tool itself does wrong is an error result."""
    agent, tool = await sync_to_async(_load)(agent_id, organization_id, tool_name)
    if tool.name in OUTSIDE_TOOLS and tool.tool_type != Tool.Type.CUSTOM:  # network/sandbox built-ins: no transaction
        return await run_outside_builtin(agent, tool.name, args, tool.return_char_limit)
    if tool.tool_type == Tool.Type.CUSTOM and tool.source_code:
        result = await run_agents_custom_tool(
            agent,
            name=tool.name,
            source=tool.source_code,
            schema=tool.json_schema,
            return_char_limit=tool.return_char_limit,
            args=args,
            run_id=None,
        )
        return await sync_to_async(_write_back)(result, agent, tool.name)
    if tool.tool_type == Tool.Type.EXTERNAL_MCP:
        return await run_mcp_tool(tool.id, args)
    if tool.name in BUILTIN_TOOLS and tool.tool_type != Tool.Type.CUSTOM:
        text = args.get(EMBEDDED_ARGUMENTS.get(tool.name, ""))
        embeddings = await embed_texts(agent, [text]) if isinstance(text, str) and text.strip() else {}
        return await sync_to_async(_run_builtin)(agent, tool, args, embeddings)
    return ToolResult(
        status="error",
        func_return=(
            f"Error: tool '{tool.name}' is a {tool.tool_type} tool, and this server cannot run that kind of tool."
        ),
    )
