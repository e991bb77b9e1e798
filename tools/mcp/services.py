"""Adding, changing and removing MCP servers, and keeping their tools' `Tool` rows in step with what they offer.

Each action here is what `/v1/mcp-servers` and the ADE's MCP page both call. A server's tools are ordinary `Tool`
rows (`tool_type=external_mcp`, `metadata["mcp"]` naming the server), so they attach to agents, show in the tools
panel and take approval rules like any tool. Talking to the server is async and happens before any write (a
slow server must not hold the database); the writes then happen in one transaction.
"""

from dataclasses import dataclass, field

from asgiref.sync import sync_to_async
from django.db import transaction

from accounts.errors import ConflictError, DomainError
from letta_project.db import released
from letta_project.encryption import SECRET_MASK, unmasked
from tools.builtin import BUILTIN_TOOLS
from tools.context import ToolResult
from tools.mcp.client import MCPUnavailable, RemoteTool, call_tool, list_tools
from tools.models import MCPServer, Tool
from tools.schema import SchemaError, validate_tool_name

HTTP_TYPES = (MCPServer.Type.SSE, MCPServer.Type.STREAMABLE_HTTP)


class MCPConfigError(DomainError):
    """A server configuration that cannot be used as given; the message says what to fix."""

    status_code = 422
    code = "invalid_mcp_server"


class MCPServerNameTaken(ConflictError):
    pass


def server_tools(server: MCPServer):
    """The `Tool` rows that stand for this server's tools."""
    return Tool.objects.for_organization(server.organization_id).filter(
        tool_type=Tool.Type.EXTERNAL_MCP, metadata__mcp__server_id=server.id
    )


def new_server(organization_id: str, server_name: str, config: dict) -> MCPServer:
    """An unsaved server from the SDK's create config (stdio: command, args, env; HTTP: server_url, auth_header,
    auth_token, custom_headers)."""
    kind = config.get("mcp_server_type") or ("stdio" if config.get("command") else "streamable_http")
    if kind not in MCPServer.Type.values:
        raise MCPConfigError(f"Unknown mcp_server_type '{kind}'; use one of {', '.join(MCPServer.Type.values)}.")
    server = MCPServer(organization_id=organization_id, mcp_server_type=kind)
    _apply(server, {**config, "server_name": server_name}, creating=True)
    return server


def _apply(server: MCPServer, changes: dict, *, creating: bool = False) -> None:
    """Copy the given fields onto `server` and check the result. A secret sent back masked keeps its value."""
    if "server_name" in changes and changes["server_name"] is not None:
        name = str(changes["server_name"]).strip()
        if not name or len(name) > 100:
            raise MCPConfigError("server_name must be 1 to 100 characters.")
        server.server_name = name
    if server.is_stdio:
        for key in ("command", "args"):
            if changes.get(key) is not None:
                setattr(server, key, changes[key])
        if "env" in changes:
            server.env = _unmasked(changes["env"], server.env)
        if not (server.command or "").strip():
            raise MCPConfigError("A stdio MCP server needs a command (an installed one, e.g. 'mcp-server-time').")
        if not isinstance(server.args, list) or not all(isinstance(a, str) for a in server.args):
            raise MCPConfigError("args must be a list of strings.")
    else:
        if changes.get("server_url") is not None:
            server.server_url = str(changes["server_url"]).strip()
        if "auth_header" in changes:
            server.auth_header = changes["auth_header"] or None
        if "auth_token" in changes and changes["auth_token"] != SECRET_MASK:
            server.auth_token = changes["auth_token"] or None
        if "custom_headers" in changes:
            server.custom_headers = _unmasked(changes["custom_headers"], server.custom_headers)
        if not server.server_url.startswith(("http://", "https://")):
            raise MCPConfigError("server_url must be an http:// or https:// URL, e.g. https://example.com/mcp.")
    if creating and not server.server_name:
        raise MCPConfigError("server_name is required.")


def _unmasked(given: dict | None, stored: dict | None) -> dict | None:
    if given is None:
        return None
    if not isinstance(given, dict):
        raise MCPConfigError("Headers and env must be an object of names to text values.")
    return {key: str(value) for key, value in unmasked(given, stored or {}).items()}


def _name_free(server: MCPServer) -> None:
    taken = MCPServer.objects.for_organization(server.organization_id).filter(server_name=server.server_name)
    if taken.exclude(pk=server.pk).exists():
        raise MCPServerNameTaken(
            f"An MCP server named '{server.server_name}' already exists; choose another name or update that one."
        )


async def create_server(organization_id: str, server_name: str, config: dict) -> tuple[MCPServer, "SyncReport"]:
    """Add a server: connect, read its tools, then store it with a Tool row per tool. A server that cannot be
    reached is not stored (MCPUnavailable says why)."""
    server = new_server(organization_id, server_name, config)
    await sync_to_async(_name_free)(server)
    remote = await list_tools(server)
    return await sync_to_async(_store_new)(server, remote)


@transaction.atomic
def _store_new(server: MCPServer, remote: list[RemoteTool]) -> tuple[MCPServer, "SyncReport"]:
    _name_free(server)
    server.save()
    return server, sync_tools(server, remote)


@transaction.atomic
def update_server(server: MCPServer, server_name: str | None, config: dict) -> MCPServer:
    """Change a server's name or settings; its tools are re-read by `refresh_server`, not here."""
    kind = config.get("mcp_server_type")
    if kind and kind != server.mcp_server_type:
        raise MCPConfigError(
            f"'{server.server_name}' is a {server.mcp_server_type} server; its type cannot change to {kind}. "
            "Add a new server instead."
        )
    old_name = server.server_name
    _apply(server, {**config, "server_name": server_name})
    _name_free(server)
    server.save()
    if server.server_name != old_name:
        for tool in server_tools(server):
            tool.metadata = {**tool.metadata, "mcp": {**tool.metadata["mcp"], "server_name": server.server_name}}
            tool.tags = [t for t in tool.tags if t != f"mcp:{old_name}"] + [f"mcp:{server.server_name}"]
            tool.save(update_fields=["metadata", "tags", "updated_at"])
    return server


@transaction.atomic
def delete_server(server: MCPServer) -> None:
    """Remove the server and its tools (which detaches them from every agent)."""
    server_tools(server).delete()
    server.delete()


async def refresh_server(server: MCPServer) -> "SyncReport":
    """Re-read the server's tools: new ones added, changed ones updated, gone ones deleted."""
    remote = await list_tools(server)
    return await sync_to_async(sync_tools)(server, remote)


@dataclass
class SyncReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    # Tools the server offers that cannot be added, with the reason (name clash, invalid name).
    skipped: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {
            "added": self.added,
            "updated": self.updated,
            "deleted": self.deleted,
            "unchanged": self.unchanged,
            "skipped": self.skipped,
        }


def _tool_fields(server: MCPServer, remote: RemoteTool) -> dict:
    schema = {"name": remote.name, "description": remote.description, "parameters": remote.input_schema}
    return {
        "tool_type": Tool.Type.EXTERNAL_MCP,
        "description": remote.description,
        "json_schema": schema,
        "source_type": "python",
        "source_code": None,
        "metadata": {"mcp": {"server_id": server.id, "server_name": server.server_name}},
        "tags": [f"mcp:{server.server_name}"],
    }


def _refusal(server: MCPServer, name: str, others: dict[str, Tool]) -> str | None:
    try:
        validate_tool_name(name)
    except SchemaError as exc:
        return str(exc)
    if name in BUILTIN_TOOLS:
        return f"'{name}' is the name of a built-in tool."
    if name in others:
        return f"This organization already has a tool named '{name}' ({others[name].tool_type})."
    return None


@transaction.atomic
def sync_tools(server: MCPServer, remote: list[RemoteTool]) -> SyncReport:
    report = SyncReport()
    mine = {t.name: t for t in server_tools(server).select_for_update()}
    names = [r.name for r in remote]
    others = {
        t.name: t
        for t in Tool.objects.for_organization(server.organization_id).filter(name__in=names)
        if t.name not in mine
    }
    for item in remote:
        fields = _tool_fields(server, item)
        tool = mine.pop(item.name, None)
        if tool is not None:
            if any(getattr(tool, k) != v for k, v in fields.items()):
                for key, value in fields.items():
                    setattr(tool, key, value)
                tool.save()
                report.updated.append(item.name)
            else:
                report.unchanged.append(item.name)
        elif problem := _refusal(server, item.name, others):
            report.skipped[item.name] = problem
        else:
            Tool.objects.create(organization_id=server.organization_id, name=item.name, **fields)
            report.added.append(item.name)
    for name, tool in mine.items():
        tool.delete()
        report.deleted.append(name)
    return report


def _tool_and_server(tool_id: str) -> tuple[Tool | None, MCPServer | None]:
    tool = Tool.objects.filter(pk=tool_id).first()
    return tool, _server_of(tool) if tool is not None else None


def _server_of(tool: Tool) -> MCPServer | None:
    server_id = (tool.metadata or {}).get("mcp", {}).get("server_id")
    return MCPServer.objects.for_organization(tool.organization_id).filter(pk=server_id).first()


async def run_tool(server: MCPServer, name: str, arguments: dict, return_char_limit: int) -> ToolResult:
    """Call the server's tool. A server that is down or slow is an error result naming it, never an exception:
    the model (or the API caller) reads why and can carry on."""
    try:
        result = await call_tool(server, name, arguments)
    except (MCPUnavailable, DomainError) as exc:
        return ToolResult(status="error", func_return=f"Error: {exc}")
    text = result.text
    if len(text) > return_char_limit:
        text = text[:return_char_limit] + f"\n[... truncated: the result was {len(result.text)} characters]"
    if result.is_error:
        return ToolResult(status="error", func_return=text or f"Error: tool '{name}' failed without a message.")
    return ToolResult(status="success", func_return=text)


async def run_mcp_tool(tool_id: str, arguments: dict) -> ToolResult:
    """Run an attached external_mcp tool by its Tool id (the agent loop's and the agent tool-run route's way in)."""
    tool, server = await sync_to_async(released(_tool_and_server))(tool_id)  # the call holds no connection
    if server is None:
        return ToolResult(
            status="error",
            func_return="Error: the MCP server of this tool was deleted; detach the tool from the agent.",
        )
    return await run_tool(server, tool.name, arguments, tool.return_char_limit)
