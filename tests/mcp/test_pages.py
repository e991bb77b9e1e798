"""The ADE's MCP page through Django's test client: add (and its errors), test, see tools, attach, delete."""

import html
import re

import pytest
from asgiref.sync import async_to_sync

from tests.mcp.servers import TIME, closed_port_url
from tools.mcp import services
from tools.models import MCPServer, Tool

pytestmark = pytest.mark.django_db(transaction=True)


def stdio_form(**fields) -> dict:
    return {"mcp_server_type": "stdio", "server_name": "time", "command": TIME["command"], "args": "", **fields}


def text(response) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split())


def test_add_a_stdio_server_see_its_tools_and_attach_one(signed_in, org, make_agent):
    agent = make_agent(name="clock-agent")
    response = signed_in.post("/ade/mcp/add/", stdio_form(env="TZ_HINT=secret-zone"), headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "MCP server “time” added with 2 tools" in text(response)
    server = MCPServer.objects.get(server_name="time")
    assert "secret-zone" not in signed_in.get("/ade/mcp/").content.decode()

    page = signed_in.get(f"/ade/mcp/{server.id}/")
    assert "get_current_time" in text(page) and "clock-agent" in text(page)

    tool = Tool.objects.get(name="get_current_time")
    attached = signed_in.post(f"/ade/mcp/{server.id}/attach/", {"agent": agent.id, "tools": [tool.id]})
    assert "Attached get_current_time to" in text(attached)
    assert list(agent.tools.filter(tool_type="external_mcp").values_list("name", flat=True)) == ["get_current_time"]


def test_attach_without_a_tool_or_agent_says_so(signed_in, org):
    server, _ = services_create(org)
    response = signed_in.post(f"/ade/mcp/{server.id}/attach/", {"agent": ""}, headers={"HX-Request": "true"})
    assert response.status_code == 422
    assert "Choose at least one tool" in text(response)


def services_create(org):
    return async_to_sync(services.create_server)(org.id, "time", TIME)


def test_test_button_lists_tools_without_storing(signed_in):
    response = signed_in.post("/ade/mcp/test/", stdio_form(), headers={"HX-Request": "true"})
    assert "✓ Connected; it offers 2 tools: get_current_time, convert_time" in text(response)
    assert not MCPServer.objects.exists()


def test_a_server_that_fails_is_not_added_and_the_form_keeps_what_was_typed(signed_in, loopback_allowed):
    url = closed_port_url()
    response = signed_in.post(
        "/ade/mcp/add/",
        {"mcp_server_type": "streamable_http", "server_name": "down", "server_url": url, "auth_token": "Bearer x"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 422
    assert "MCP server 'down' is unavailable: nothing accepted the connection." in text(response)
    assert f'value="{url}"' in response.content.decode()
    assert not MCPServer.objects.exists()

    missing = signed_in.post("/ade/mcp/add/", stdio_form(command="/no/such/mcp"), headers={"HX-Request": "true"})
    assert missing.status_code == 422 and "was not found on the server" in text(missing)

    bad_env = signed_in.post("/ade/mcp/add/", stdio_form(env="JUSTANAME"), headers={"HX-Request": "true"})
    assert bad_env.status_code == 422 and "NAME=value" in text(bad_env)


def test_refresh_reports_and_delete_confirms_then_deletes(signed_in, org):
    server, _ = services_create(org)
    refreshed = signed_in.post(f"/ade/mcp/{server.id}/refresh/", headers={"HX-Request": "true"})
    assert "✓ Connected; its tools are unchanged." in text(refreshed)

    confirm = signed_in.get(f"/ade/mcp/{server.id}/delete/confirm/")
    assert "Its 2 tools are removed from every agent" in text(confirm)
    signed_in.post(f"/ade/mcp/{server.id}/delete/")
    assert not MCPServer.objects.exists() and not Tool.objects.filter(tool_type="external_mcp").exists()


def test_another_organizations_server_is_404(signed_in, other_org):
    foreign, _ = async_to_sync(services.create_server)(other_org.id, "theirs", TIME)
    for url in (f"/ade/mcp/{foreign.id}/", f"/ade/mcp/{foreign.id}/delete/confirm/"):
        assert signed_in.get(url).status_code == 404
    assert signed_in.post(f"/ade/mcp/{foreign.id}/delete/").status_code == 404
    assert MCPServer.objects.filter(pk=foreign.pk).exists()
