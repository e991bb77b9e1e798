"""Talking to an MCP server with the official `mcp` SDK: list its tools, call one.

One connection per call: a stdio server is started for the call and stopped after it, an HTTP server gets a new
session. That keeps no process or socket alive between calls (nothing to leak, nothing to supervise) at the price
of a connection per call. Every operation, connecting included, runs under `settings.MCP_TIMEOUT_SECONDS`, so a
server that is down, slow or crashes ends as an `MCPUnavailable` with a message a person (or the model) can act on,
never as a stuck run or a stack trace. Nothing here touches the database: callers pass a plain `MCPServer`.

The SDK is imported where it is first used, not with this module: it costs ~35 MiB resident, and a server whose
agents use no MCP server should not carry it.
"""

import asyncio
import json
import os
import shutil
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx2
from django.conf import settings

from accounts.errors import DomainError
from letta_project.outbound import CheckedTransport, OutboundRefused, check_url
from tools.models import MCPServer
from tools.sandbox import SandboxUnavailable, sandboxed_command

# What a stdio server's process may see of ours: enough to find and run its command, nothing else (no provider
# keys, no DJANGO_SECRET_KEY, no DATABASE_URL).
INHERITED_ENV = ("PATH", "LANG", "LC_ALL", "TZ")


class MCPUnavailable(DomainError):
    """The server could not be started, reached, or did not answer in time."""

    status_code = 502
    code = "mcp_server_unavailable"


@dataclass(frozen=True, slots=True)
class RemoteTool:
    name: str
    description: str
    input_schema: dict


@dataclass(frozen=True, slots=True)
class CallResult:
    text: str
    is_error: bool


def _server_env(server: MCPServer) -> dict[str, str]:
    env = {key: os.environ[key] for key in INHERITED_ENV if key in os.environ}
    env.update({str(k): str(v) for k, v in (server.env or {}).items()})
    return env


@asynccontextmanager
async def _stdio_transport(server: MCPServer):
    """A stdio server runs in the tool sandbox (tools/sandbox): none of the server's files, environment, processes
    or network; only the directories the operator lists in LETTA_MCP_STDIO_PATHS, read-write, and the hosts
    LETTA_TOOL_NETWORK grants to `mcp:<server name>`."""
    command = shutil.which(server.command, path=_server_env(server).get("PATH"))
    if command is None:
        raise FileNotFoundError(server.command)
    argv = [command, *(str(a) for a in server.args or [])]
    async with sandboxed_command(
        argv,
        env=_server_env(server),
        organization_id=server.organization_id,
        name=f"mcp:{server.server_name}",
        writable=[path for path in settings.MCP_STDIO_PATHS if os.path.isdir(path)],
    ) as confined:
        from mcp.client.stdio import StdioServerParameters, stdio_client

        params = StdioServerParameters(command=confined[0], args=confined[1:], env=_server_env(server))
        # The server's stderr is its own log, not ours.
        with open(os.devnull, "w") as errlog:
            async with stdio_client(params, errlog=errlog) as streams:
                yield streams


def _http_transport(server: MCPServer, timeout: float):
    from mcp.client.sse import sse_client
    from mcp.client.streamable_http import streamable_http_client

    headers = server.headers()
    # The whole session runs under `timeout` (_session), which says so in its error; the HTTP client's own timeouts
    # are a backstop set past it, so a slow server always ends in that error, not in the client's vaguer one.
    backstop = timeout + 5
    if server.mcp_server_type == MCPServer.Type.SSE:
        return sse_client(
            server.server_url,
            headers=headers,
            timeout=backstop,
            sse_read_timeout=backstop,
            httpx_client_factory=_checked_client,
        )
    client = _checked_client(headers=headers, timeout=httpx2.Timeout(backstop))
    return _owning(client, streamable_http_client(server.server_url, http_client=client))


def _checked_client(headers=None, timeout=None, auth=None) -> httpx2.AsyncClient:
    """The SDK's own client, except that each request goes to an address the outbound policy checked for its host
    (letta_project.outbound.CheckedTransport), and no proxy from the environment stands in between."""
    return httpx2.AsyncClient(
        transport=CheckedTransport(http=httpx2),
        headers=headers,
        timeout=timeout or httpx2.Timeout(settings.MCP_TIMEOUT_SECONDS),
        auth=auth,
        trust_env=False,
    )


@asynccontextmanager
async def _owning(http_client, transport):
    """The streamable-HTTP transport leaves a client it was given open: close it with the transport."""
    async with http_client, transport as streams:
        yield streams


async def _check_address(server: MCPServer) -> None:
    if not server.is_stdio:
        # The operator's outbound policy: no loopback, private or metadata addresses unless allowed.
        await asyncio.to_thread(check_url, server.server_url)


def _describe(server: MCPServer, exc: BaseException) -> str:
    """A short reason without the upstream's body or a traceback."""
    from mcp.shared.exceptions import MCPError

    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    if isinstance(exc, MCPError):
        if "connection closed" in str(exc).lower():
            return "it closed the connection before answering; it may have crashed or not speak MCP"
        return f"it answered with an error: {exc}"
    if isinstance(exc, FileNotFoundError):
        return f"its command '{server.command}' was not found on the server"
    if isinstance(exc, PermissionError):
        return f"its command '{server.command}' cannot be run"
    if isinstance(exc, httpx2.HTTPStatusError):
        return f"it answered HTTP {exc.response.status_code}"
    if isinstance(exc, httpx2.ConnectError):
        return "nothing accepted the connection"
    if isinstance(exc, httpx2.TimeoutException):
        return "it did not answer in time"
    if isinstance(exc, (httpx2.HTTPError, OSError, EOFError)):
        return f"the connection failed ({type(exc).__name__})"
    return f"the connection ended unexpectedly ({type(exc).__name__}); it may have crashed or not speak MCP"


async def _session(server: MCPServer, work, timeout: float | None = None):
    """Connect, run `work(client)`, disconnect: all of it within the timeout."""
    from mcp import Client

    limit = timeout or settings.MCP_TIMEOUT_SECONDS
    await _check_address(server)
    transport = _stdio_transport(server) if server.is_stdio else _http_transport(server, limit)
    try:
        async with asyncio.timeout(limit):
            async with Client(transport, read_timeout_seconds=limit) as client:
                return await work(client)
    except TimeoutError:
        raise MCPUnavailable(
            f"MCP server '{server.server_name}' did not answer within {limit:g} s (LETTA_MCP_TIMEOUT_SECONDS)."
        ) from None
    except OutboundRefused:
        raise
    except SandboxUnavailable as exc:
        raise MCPUnavailable(f"MCP server '{server.server_name}' cannot be started: {exc}") from None
    except Exception as exc:  # the SDK raises transport, protocol and process errors of many kinds
        raise MCPUnavailable(f"MCP server '{server.server_name}' is unavailable: {_describe(server, exc)}.") from None


async def list_tools(server: MCPServer, timeout: float | None = None) -> list[RemoteTool]:
    """Every tool the server offers (all pages of its listing)."""

    async def work(client) -> list[RemoteTool]:
        found, cursor = [], None
        while True:
            page = await client.list_tools(cursor=cursor)
            found += [
                RemoteTool(
                    name=t.name,
                    description=t.description or "",
                    input_schema=t.input_schema or {"type": "object", "properties": {}},
                )
                for t in page.tools
            ]
            cursor = page.next_cursor
            if not cursor:
                return found

    return await _session(server, work, timeout)


async def call_tool(server: MCPServer, name: str, arguments: dict, timeout: float | None = None) -> CallResult:
    async def work(client) -> CallResult:
        result = await client.call_tool(name, arguments)
        return CallResult(text=_text_of(result), is_error=bool(result.is_error))

    return await _session(server, work, timeout)


def _text_of(result) -> str:
    """The call's content as text for the model: text parts as they are, other kinds named, not inlined."""
    parts = []
    for item in result.content or []:
        kind = getattr(item, "type", "")
        if kind == "text":
            parts.append(item.text)
        elif kind == "resource" and getattr(item.resource, "text", None) is not None:
            parts.append(item.resource.text)
        else:
            parts.append(f"[{kind or 'unknown'} content ({getattr(item, 'mime_type', None) or 'binary'}) omitted]")
    if not parts and result.structured_content is not None:
        parts.append(json.dumps(result.structured_content))
    return "\n".join(parts)
