"""Adding MCP servers, reading their tools into Tool rows, refreshing and running them: against real servers."""

import json
import subprocess
import sys

import pytest
from asgiref.sync import sync_to_async

from letta_project import outbound
from letta_project.outbound import OutboundRefused
from tests.mcp.servers import CHECKED_NAME, HANGING, TIME, closed_port_url, git
from tools.mcp import services
from tools.mcp.client import MCPUnavailable
from tools.models import MCPServer, Tool

pytestmark = pytest.mark.django_db(transaction=True)


async def add(org, name, config):
    server, report = await services.create_server(org.id, name, config)
    return server, report


def tools_of(server):
    return {t.name: t for t in services.server_tools(server)}


async def test_a_stdio_server_s_tools_become_tool_rows_and_run(org):
    server, report = await add(org, "time", TIME)

    assert sorted(report.added) == ["convert_time", "get_current_time"]
    tools = await sync_to_async(tools_of)(server)
    tool = tools["get_current_time"]
    assert tool.tool_type == "external_mcp"
    assert tool.metadata["mcp"] == {"server_id": server.id, "server_name": "time"}
    assert tool.json_schema["parameters"]["required"] == ["timezone"]
    result = await services.run_tool(server, "get_current_time", {"timezone": "Europe/Oslo"}, 10_000)
    assert result.status == "success"
    assert json.loads(result.func_return)["timezone"] == "Europe/Oslo"


async def test_a_tool_error_from_the_server_is_an_error_result(org):
    server, _ = await add(org, "time", TIME)
    result = await services.run_tool(server, "get_current_time", {"timezone": "Nowhere/Atlantis"}, 10_000)
    assert result.status == "error"
    assert "Nowhere/Atlantis" in result.func_return


@pytest.fixture
def repository(tmp_path, settings):
    """A git repository the operator hands to stdio MCP servers (the sandbox shows them nothing else)."""
    repo = tmp_path / "repo"
    repo.mkdir()
    run = lambda *args: subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)  # noqa: E731
    run("init", "-q")
    (repo / "notes.txt").write_text("first\n")
    run("add", "notes.txt")
    run("-c", "user.name=Test", "-c", "user.email=t@example.com", "commit", "-qm", "Add the first note")
    (repo / "draft.txt").write_text("not yet added\n")
    settings.MCP_STDIO_PATHS = [str(repo)]
    return repo


async def test_the_git_server_reads_the_repository_the_test_made(org, repository):
    server, report = await add(org, "git", git(repository))
    assert {"git_status", "git_log"} <= set(report.added)

    status = await services.run_tool(server, "git_status", {"repo_path": str(repository)}, 10_000)
    log = await services.run_tool(server, "git_log", {"repo_path": str(repository)}, 10_000)

    assert status.status == "success" and "draft.txt" in status.func_return
    assert log.status == "success" and "Add the first note" in log.func_return


async def test_a_stdio_server_sees_no_directory_the_operator_did_not_hand_over(org, repository, settings):
    settings.MCP_STDIO_PATHS = []
    with pytest.raises(MCPUnavailable, match="'git' is unavailable"):  # it finds no repository there, and stops
        await add(org, "git", git(repository))


async def test_a_stdio_server_runs_in_the_sandbox_without_the_servers_secrets(org, settings):
    probe = (
        "import json, os, sys\n"
        "from mcp.server.mcpserver import MCPServer\n"
        "server = MCPServer('probe')\n"
        "@server.tool()\n"
        "def look() -> str:\n"
        "    return json.dumps([os.getuid(), sorted(os.environ), os.path.exists(sys.argv[1])])\n"
        "server.run()\n"
    )
    project_file = str(settings.BASE_DIR / "manage.py")
    spec = {"mcp_server_type": "stdio", "command": sys.executable, "args": ["-c", probe, project_file]}
    server, _ = await add(org, "probe", spec)
    result = await services.run_tool(server, "look", {}, 10_000)
    uid, names, sees_project = json.loads(result.func_return)
    assert (uid, sees_project) == (65534, False)
    assert not {"OPENAI_API_KEY", "DJANGO_SECRET_KEY", "DATABASE_URL"} & set(names)


async def test_streamable_http_and_sse_servers_get_their_headers(org, mcp_http, loopback_allowed):
    http, report = await add(
        org,
        "calc",
        {"mcp_server_type": "streamable_http", "server_url": mcp_http.url, "auth_token": "Bearer s3cret"},
    )
    assert sorted(report.added) == ["add", "slow"]
    result = await services.run_tool(http, "add", {"a": 2, "b": 40}, 100)
    assert (result.status, result.func_return) == ("success", "42")
    assert mcp_http.seen[-1]["authorization"] == "Bearer s3cret"

    sse = MCPServer(
        organization_id=org.id,
        server_name="calc-sse",
        mcp_server_type="sse",
        server_url=mcp_http.sse_url,
        custom_headers={"X-Team": "blue"},
    )
    result = await services.run_tool(sse, "add", {"a": 1, "b": 1}, 100)
    assert (result.status, result.func_return) == ("success", "2")
    assert any(h.get("x-team") == "blue" for h in mcp_http.seen)


@pytest.mark.parametrize("kind", ["streamable_http", "sse"])
async def test_a_server_is_reached_at_the_address_the_policy_checked(org, mcp_http, settings, monkeypatch, kind):
    # Only the policy's lookup knows this name: a second lookup to connect (where DNS rebinding would strike) fails.
    monkeypatch.setattr(outbound, "_resolve", lambda host, port: ["127.0.0.1"])
    settings.OUTBOUND_ALLOW = [CHECKED_NAME]
    url = (mcp_http.url if kind == "streamable_http" else mcp_http.sse_url).replace("127.0.0.1", CHECKED_NAME)
    server = MCPServer(organization_id=org.id, server_name="calc", mcp_server_type=kind, server_url=url)

    result = await services.run_tool(server, "add", {"a": 20, "b": 22}, 100)

    assert (result.status, result.func_return) == ("success", "42")


async def test_the_secrets_are_encrypted_in_the_database(org, mcp_http, loopback_allowed):
    from django.db import connection

    server, _ = await add(
        org,
        "calc",
        {"mcp_server_type": "streamable_http", "server_url": mcp_http.url, "custom_headers": {"X-Key": "k-123"}},
    )

    def raw():
        with connection.cursor() as cursor:
            cursor.execute("SELECT custom_headers FROM tools_mcpserver WHERE id = %s", [server.id])
            return cursor.fetchone()[0]

    stored = await sync_to_async(raw)()
    assert "k-123" not in stored and "X-Key" not in stored
    assert (await MCPServer.objects.aget(pk=server.id)).custom_headers == {"X-Key": "k-123"}


async def test_a_loopback_url_is_refused_unless_the_operator_allows_it(org, mcp_http):
    with pytest.raises(OutboundRefused, match="LETTA_OUTBOUND_ALLOW"):
        await add(org, "calc", {"mcp_server_type": "streamable_http", "server_url": mcp_http.url})
    assert not await MCPServer.objects.filter(organization=org).aexists()


async def test_a_server_that_is_down_is_not_added(org, loopback_allowed):
    url = closed_port_url()
    with pytest.raises(MCPUnavailable, match="'down' is unavailable: nothing accepted the connection"):
        await add(org, "down", {"mcp_server_type": "streamable_http", "server_url": url})
    with pytest.raises(MCPUnavailable, match="'missing' is unavailable: its command '/no/such/server' was not found"):
        await add(org, "missing", {"mcp_server_type": "stdio", "command": "/no/such/server", "args": []})
    assert not await MCPServer.objects.filter(organization=org).aexists()
    assert not await Tool.objects.filter(organization=org, tool_type="external_mcp").aexists()


async def test_a_hanging_or_slow_server_ends_in_a_timeout_error(org, mcp_http, loopback_allowed, short_timeout):
    hanging = MCPServer(organization_id=org.id, server_name="stuck", **HANGING)
    result = await services.run_tool(hanging, "anything", {}, 1000)
    assert result.status == "error"
    assert result.func_return == "Error: MCP server 'stuck' did not answer within 2 s (LETTA_MCP_TIMEOUT_SECONDS)."

    slow = MCPServer(
        organization_id=org.id, server_name="calc", mcp_server_type="streamable_http", server_url=mcp_http.url
    )
    result = await services.run_tool(slow, "slow", {"seconds": 30}, 1000)
    assert result.status == "error" and "did not answer within 2 s" in result.func_return


async def test_refresh_adds_updates_and_deletes_tools(org, repository):
    server, _ = await add(org, "tools", TIME)
    tool = (await sync_to_async(tools_of)(server))["convert_time"]
    tool.json_schema = {**tool.json_schema, "description": "stale"}
    await tool.asave()

    report = await services.refresh_server(server)
    assert report.updated == ["convert_time"] and report.unchanged == ["get_current_time"]

    # The same server now runs something else: its old tools go, the new ones come.
    await sync_to_async(services.update_server)(server, None, git(repository))
    report = await services.refresh_server(server)
    assert sorted(report.deleted) == ["convert_time", "get_current_time"]
    assert "git_status" in report.added
    assert set(await sync_to_async(tools_of)(server)) == set(report.added)


async def test_a_tool_name_already_used_by_another_tool_is_skipped(org):
    await add(org, "time", TIME)
    server, report = await add(org, "time-again", TIME)
    assert report.added == []
    assert "already has a tool named 'get_current_time'" in report.skipped["get_current_time"]


async def test_deleting_a_server_deletes_its_tools(org, make_agent):
    from agents import services as agent_services

    server, _ = await add(org, "time", TIME)
    agent = await sync_to_async(make_agent)()
    tool = (await sync_to_async(tools_of)(server))["get_current_time"]
    await sync_to_async(agent_services.attach_tool)(agent, tool)

    await sync_to_async(services.delete_server)(server)

    assert not await Tool.objects.filter(pk=tool.pk).aexists()
    assert not await agent.tools.filter(pk=tool.pk).aexists()
