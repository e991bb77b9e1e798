"""No network unless granted, then only to the granted hosts."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tools.sandbox import NetworkGrant
from tools.sandbox.egress import granted_hosts

pytestmark = pytest.mark.asyncio

CONNECT = """
import socket
def connect(port: int) -> str:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=3).close()
        return "CONNECTED"
    except OSError as exc:
        return "refused " + type(exc).__name__
"""

FETCH = """
import urllib.request, urllib.error
def fetch(url: str) -> str:
    try:
        return urllib.request.urlopen(url, timeout=5).read().decode()
    except urllib.error.HTTPError as exc:
        return f"HTTP {exc.code}: " + exc.read().decode()
    except OSError as exc:
        return "refused " + type(exc).__name__
"""


class Hello(BaseHTTPRequestHandler):
    disable_nagle_algorithm = True

    def do_GET(self):
        body = f"hello from {self.server.server_port}".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def web():
    """Two local web servers: one to grant, one not."""
    servers = [ThreadingHTTPServer(("127.0.0.1", 0), Hello) for _ in range(2)]
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    yield [server.server_port for server in servers]
    for server in servers:
        server.shutdown()
        server.server_close()


async def test_the_fake_providers_port_is_unreachable(run, fake_openai_server):
    port = int(fake_openai_server.base_url.split(":")[2].split("/")[0])
    result = await run(CONNECT, "connect", {"port": port})
    assert result.func_return.startswith("refused")


async def test_without_a_grant_there_is_no_network(run, web):
    result = await run(FETCH, "fetch", {"url": f"http://127.0.0.1:{web[0]}/"})
    assert result.func_return.startswith("refused")


async def test_an_operator_grant_allows_exactly_the_granted_host(run, settings, web):
    granted, other = web
    settings.TOOL_NETWORK = f"org-a/fetch=127.0.0.1:{granted}"
    allowed = await run(FETCH, "fetch", {"url": f"http://127.0.0.1:{granted}/"}, organization_id="org-a")
    refused = await run(FETCH, "fetch", {"url": f"http://127.0.0.1:{other}/"}, organization_id="org-a")
    elsewhere = await run(FETCH, "fetch", {"url": f"http://127.0.0.1:{granted}/"}, organization_id="org-b")
    assert allowed.func_return == f"hello from {granted}"
    assert refused.func_return.startswith("HTTP 403: Refused by the tool sandbox")
    assert elsewhere.func_return.startswith("refused")  # org-b has no grant: no network at all


async def test_a_wildcard_grant_does_not_open_private_addresses(run, web):
    result = await run(FETCH, "fetch", {"url": f"http://127.0.0.1:{web[0]}/"}, network=NetworkGrant(hosts=["*"]))
    assert result.func_return.startswith("HTTP 403: Refused by the tool sandbox")


async def test_a_callers_grant_is_merged_with_the_operators(settings):
    settings.TOOL_NETWORK = "*/weather=api.weather.gov;org-a/*=*.github.com,api.openai.com:443;org-b/*=*"
    hosts = granted_hosts("org-a", "weather", NetworkGrant(hosts=["10.0.0.5:8000"]))
    assert hosts == ("10.0.0.5:8000", "api.weather.gov", "*.github.com", "api.openai.com:443")
    assert granted_hosts("org-c", "other", None) == ()
