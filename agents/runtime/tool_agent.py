"""What a custom tool gets of its own agent: Letta's `agent_state` argument and an API client for the agent.

Letta's tools may declare an `agent_state` parameter (kept out of the schema the model sees, tools/schema.py); the
server passes the agent's state as the SDK's AgentState JSON, and the sandbox's runner turns it into an object with
Letta's `agent_state.memory.get_block(label)` / `update_block_value(label, value)`. Block values the tool changed
come back with its result and are written here, through the memory service with the agent's rules (read-only
blocks, limits) and the call's provenance, inside the step's transaction.

A tool whose source uses the injected `client` (or reads LETTA_API_KEY) gets a short-lived key of its agent's
organization (accounts/tool_keys.py), the server's URL, and a network grant for that one address, through the
sandbox's egress proxy; the key is deleted when the call ends.
"""

import ast
from contextlib import asynccontextmanager
from urllib.parse import urlsplit

from asgiref.sync import sync_to_async
from django.conf import settings

from accounts.tool_keys import end_tool_key, issue_tool_key
from agents.models import Agent
from agents.secrets import as_environment
from letta_project.db import released
from memory import services as memory_services
from memory.services import EditActor, MemoryEditError
from tools.context import ToolResult
from tools.sandbox import NetworkGrant, run_custom_tool


def _function(source: str, name: str) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    found = [n for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef) and n.name == name]
    return found[-1] if found else None


def takes_agent_state(source: str | None, name: str) -> bool:
    node = _function(source or "", name)
    if node is None:
        return False
    args = node.args
    return any(a.arg == "agent_state" for a in [*args.posonlyargs, *args.args, *args.kwonlyargs])


def uses_api_client(source: str | None) -> bool:
    """Whether the tool refers to the injected `client` or to the key's environment variable."""
    if not source or ("client" not in source and "LETTA_API_KEY" not in source):
        return False
    if "LETTA_API_KEY" in source:
        return True
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return False
    return any(isinstance(n, ast.Name) and n.id == "client" and isinstance(n.ctx, ast.Load) for n in ast.walk(tree))


def agent_state_payload(agent: Agent) -> dict:
    """The agent as the SDK's AgentState (no secrets), which the runner hands to the tool."""
    from agents.api.serializers import agent_state  # the API's shape; imported late (it imports the runtime)

    fresh = Agent.objects.prefetch_related("blocks", "tools").get(pk=agent.pk)
    return agent_state(fresh)


def apply_block_changes(agent: Agent, changes: dict, *, step_id, tool_call_id, tool_name) -> tuple[list[str], str]:
    """Write the block values a tool set through `agent_state`; returns the changed block ids and a problem (empty
    when every change was written). Call inside the step's transaction."""
    actor = EditActor.agent(agent.id, step_id, tool_call_id, tool_name)
    blocks = dict(agent.blocks.values_list("label", "id"))
    changed, problems = [], []
    for label, value in (changes or {}).items():
        block_id = blocks.get(label)
        if block_id is None or not isinstance(value, str):
            problems.append(f"block '{label}' does not exist")
            continue
        try:
            memory_services.update_block(block_id, actor=actor, value=value)
        except MemoryEditError as exc:
            problems.append(str(exc))
            continue
        changed.append(block_id)
    return changed, "; ".join(problems)


def written_back(result: ToolResult, agent: Agent, *, step_id, tool_call_id, tool_name) -> ToolResult:
    """`result` after its block values are written: the changed blocks listed, or an error saying what was not
    written (the tool ran, but the model must not believe its memory changed)."""
    if not result.block_values:
        return result
    changed, problem = apply_block_changes(
        agent, result.block_values, step_id=step_id, tool_call_id=tool_call_id, tool_name=tool_name
    )
    result.changed_block_ids += changed
    if problem:
        result.status = "error"
        result.func_return = f"Error: {tool_name} changed memory that could not be saved: {problem}"
    return result


async def run_agents_custom_tool(
    agent: Agent, *, name: str, source: str, schema: dict | None, return_char_limit: int, args: dict, run_id
) -> ToolResult:
    """One call of an agent's custom tool in the sandbox, with the agent's secrets as its environment, its state
    if the tool declares `agent_state`, and an API key if it uses the client. Block values are not written here."""
    # The sandbox runs for up to its timeout: what it needs is read first, and the connection given back.
    state = await sync_to_async(released(agent_state_payload))(agent) if takes_agent_state(source, name) else None
    async with api_access(agent, run_id=run_id, tool_name=name, source=source) as (api_env, hosts):
        return await run_custom_tool(
            source,
            name,
            args,
            schema=schema,
            return_char_limit=return_char_limit,
            env={**as_environment(agent.secrets), **api_env},
            timeout_seconds=settings.TOOL_TIMEOUT_SECONDS,
            organization_id=agent.organization_id,
            network=NetworkGrant(hosts=hosts) if hosts else None,
            agent_state=state,
        )


@asynccontextmanager
async def api_access(agent: Agent | None, *, run_id: str | None, tool_name: str, source: str | None):
    """(environment, hosts to grant) for one call: empty unless the tool uses the API client."""
    if agent is None or not uses_api_client(source):
        yield {}, []
        return
    ttl = settings.TOOL_TIMEOUT_SECONDS + 60
    key, raw = await sync_to_async(released(issue_tool_key))(
        organization_id=agent.organization_id, run_id=run_id, tool_name=tool_name, ttl_seconds=ttl
    )
    url = settings.SERVER_URL
    parts = urlsplit(url)
    host = f"{parts.hostname}:{parts.port or (443 if parts.scheme == 'https' else 80)}"
    try:
        yield {"LETTA_BASE_URL": url, "LETTA_API_KEY": raw, "LETTA_AGENT_ID": agent.id}, [host]
    finally:
        await sync_to_async(end_tool_key)(key)
