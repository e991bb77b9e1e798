"""Real MCP servers for the tests: the published stdio servers, and an HTTP one built here with the `mcp` SDK.

`HTTPServer` serves the same tools over streamable HTTP (`/mcp`) and SSE (`/sse`) from uvicorn in a thread, and
records the headers and the query string each request carried, so a test can see a stored token reach the server.
"""

import asyncio
import shutil
import sys
import threading
from pathlib import Path

import uvicorn
from mcp.server.mcpserver import MCPServer
from mcp.server.transport_security import TransportSecuritySettings
from starlette.applications import Starlette
from starlette.routing import Mount

from tests.api.live_server import free_port
from tests.waiting import wait_until

BIN = Path(sys.executable).parent


def command(name: str) -> str:
    """The installed console script of a published MCP server (beside this Python, else on PATH)."""
    path = BIN / name
    return str(path) if path.exists() else (shutil.which(name) or name)


TIME = {"mcp_server_type": "stdio", "command": command("mcp-server-time"), "args": []}


def git(repository: Path) -> dict:
    return {"mcp_server_type": "stdio", "command": command("mcp-server-git"), "args": ["--repository", str(repository)]}


# A stdio "server" that starts and never answers: the hanging case.
HANGING = {"mcp_server_type": "stdio", "command": sys.executable, "args": ["-c", "import time; time.sleep(600)"]}


def _tools() -> MCPServer:
    server = MCPServer("test-tools")

    @server.tool()
    def add(a: int, b: int) -> int:
        """Add two numbers."""
        return a + b

    @server.tool()
    async def slow(seconds: float) -> str:
        """Wait, then answer."""
        await asyncio.sleep(seconds)
        return "done"

    return server


class _Recording:
    """ASGI middleware keeping the headers and the query string of each HTTP request."""

    def __init__(self, app, seen: list[dict], queries: list[str]):
        self.app, self.seen, self.queries = app, seen, queries

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            self.seen.append({k.decode().lower(): v.decode() for k, v in scope["headers"]})
            self.queries.append(scope["query_string"].decode())
        await self.app(scope, receive, send)


# The SDK's own DNS-rebinding guard answers only these Host headers: its address, and the name a test resolves to it
# through the outbound policy (tests/mcp/test_services.py).
CHECKED_NAME = "mcp.invalid"
ANSWERED_HOSTS = TransportSecuritySettings(allowed_hosts=["127.0.0.1:*", f"{CHECKED_NAME}:*"])


class HTTPServer:
    def __init__(self):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.seen: list[dict] = []
        self.queries: list[str] = []
        streamable = _tools()
        http_app = streamable.streamable_http_app(stateless_http=True, transport_security=ANSWERED_HOSTS)
        sse_app = _tools().sse_app(transport_security=ANSWERED_HOSTS)
        app = Starlette(
            routes=[Mount("/sse-app", app=sse_app), Mount("/", app=http_app)],
            lifespan=lambda app: http_app.router.lifespan_context(app),
        )
        config = uvicorn.Config(
            _Recording(app, self.seen, self.queries), host="127.0.0.1", port=self.port, log_level="warning"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        wait_until(lambda: self.server.started, timeout=10, message="the test MCP server did not start")

    @property
    def url(self) -> str:
        return f"{self.base}/mcp"

    @property
    def sse_url(self) -> str:
        return f"{self.base}/sse-app/sse"

    def close(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=5)


def closed_port_url() -> str:
    """An address nothing listens on: a server that is down."""
    return f"http://127.0.0.1:{free_port()}/mcp"
