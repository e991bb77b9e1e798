import pytest

from tests.agents.conftest import person, signed_in  # noqa: F401 (the ADE's signed-in client, for the page tests)
from tests.mcp.servers import HTTPServer


@pytest.fixture(scope="session")
def mcp_http():
    """One streamable-HTTP + SSE MCP server (built with the mcp SDK) for the whole session."""
    server = HTTPServer()
    yield server
    server.close()


@pytest.fixture
def loopback_allowed(settings):
    """The operator lets the server reach 127.0.0.1, where the tests' MCP server listens."""
    settings.OUTBOUND_ALLOW = ["127.0.0.1"]


@pytest.fixture
def short_timeout(settings):
    settings.MCP_TIMEOUT_SECONDS = 2
