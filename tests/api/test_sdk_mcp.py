"""The official `letta-client` SDK's `mcp_servers` family against a live server, all nine methods, with a real
stdio MCP server (mcp-server-time)."""

import json

import pytest
from letta_client import BadRequestError, NotFoundError

from accounts.models import Organization
from tests.api.test_sdk import create_agent, sdk
from tests.mcp.servers import TIME

pytestmark = pytest.mark.django_db(transaction=True)


def test_all_nine_methods(client, fake_openai):
    created = client.mcp_servers.create(server_name="time", config=TIME)
    assert created.id.startswith("mcp_server-") and created.command == TIME["command"]

    assert [s.id for s in client.mcp_servers.list()] == [created.id]
    assert client.mcp_servers.retrieve(created.id).server_name == "time"
    updated = client.mcp_servers.update(
        created.id, server_name="clock", config={**TIME, "env": {"TZ_HINT": "secret-value"}}
    )
    assert updated.server_name == "clock" and updated.env == {"TZ_HINT": "********"}

    tools = client.mcp_servers.tools.list(created.id)
    assert sorted(t.name for t in tools) == ["convert_time", "get_current_time"]
    by_name = {t.name: t for t in tools}
    tool = client.mcp_servers.tools.retrieve(by_name["get_current_time"].id, mcp_server_id=created.id)
    assert tool.tool_type == "external_mcp"
    result = client.mcp_servers.tools.run(tool.id, mcp_server_id=created.id, args={"timezone": "America/Lima"})
    assert result.status == "success" and json.loads(result.func_return)["timezone"] == "America/Lima"

    report = client.mcp_servers.refresh(created.id)
    assert sorted(report["unchanged"]) == ["convert_time", "get_current_time"]

    # The server's tool attaches to an agent like any tool.
    agent = create_agent(client)
    client.agents.tools.attach(tool.id, agent_id=agent.id)
    assert "get_current_time" in [t.name for t in client.agents.tools.list(agent.id)]

    client.mcp_servers.delete(created.id)
    assert client.mcp_servers.list() == []
    assert "get_current_time" not in [t.name for t in client.agents.tools.list(agent.id)]


def test_another_organization_gets_404_and_loopback_urls_are_refused(client, letta_server):
    created = client.mcp_servers.create(server_name="time", config=TIME)
    outsider = sdk(letta_server, Organization.objects.create(name="outsider"))
    with pytest.raises(NotFoundError):
        outsider.mcp_servers.retrieve(created.id)
    with pytest.raises(NotFoundError):
        outsider.mcp_servers.tools.list(created.id)

    with pytest.raises(BadRequestError, match="LETTA_OUTBOUND_ALLOW"):
        client.mcp_servers.create(
            server_name="local",
            config={"mcp_server_type": "streamable_http", "server_url": f"{letta_server.url}/mcp", "auth_token": "t"},
        )
