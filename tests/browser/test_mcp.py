"""Stories of the MCP servers page: add the time server over stdio, see its tools, attach one to an agent."""

import asyncio
from concurrent.futures import ThreadPoolExecutor

from playwright.sync_api import expect

from tests.browser.conftest import no_sideways_scroll, shot
from tests.mcp.servers import TIME
from tools.mcp import services
from tools.models import MCPServer


def add_time_server(org) -> MCPServer:
    # Playwright's sync API keeps an event loop in this thread: the async service runs in one of its own.
    with ThreadPoolExecutor(1) as pool:
        server, _ = pool.submit(asyncio.run, services.create_server(org.id, "time", TIME)).result()
    return server


def test_add_a_stdio_server_see_its_tools_and_attach_one_to_an_agent(page, make_agent):
    agent = make_agent(name="clock-agent")
    page.goto("/ade/")
    page.get_by_role("link", name="MCP servers").click()
    page.get_by_label("Transport").select_option("stdio")
    page.get_by_label("Name").fill("time")
    page.get_by_label("Command").fill(TIME["command"])
    page.get_by_label("Environment").fill("TZ_HINT=very-secret")
    page.get_by_role("button", name="Test").click()
    expect(page.get_by_role("status")).to_contain_text("Connected; it offers 2 tools")
    page.get_by_role("button", name="Add server").click()

    expect(page.get_by_text("MCP server “time” added with 2 tools.")).to_be_visible()
    assert "very-secret" not in page.content()
    shot(page, "mcp-servers")
    page.get_by_role("link", name="See its tools and attach them").click()

    expect(page.get_by_role("heading", name="time")).to_be_visible()
    page.get_by_label("get_current_time").check()
    page.get_by_label("Agent").select_option(label="clock-agent")
    page.get_by_role("button", name="Attach to agent").click()
    expect(page.get_by_role("status")).to_contain_text("Attached get_current_time to clock-agent")
    shot(page, "mcp-server-tools")
    assert list(agent.tools.filter(tool_type="external_mcp").values_list("name", flat=True)) == ["get_current_time"]

    page.get_by_role("link", name="clock-agent").click()
    expect(page.get_by_text("get_current_time").first).to_be_visible()


def test_delete_a_server_after_confirming(page, org):
    add_time_server(org)
    page.goto("/ade/mcp/")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete time").click()
    expect(page.get_by_role("button", name="Delete time")).to_have_count(0)
    assert not MCPServer.objects.exists()


def test_the_mcp_pages_fit_a_phone(phone, org):
    server = add_time_server(org)
    phone.goto("/ade/mcp/")
    expect(phone.get_by_role("heading", name="Add a server")).to_be_visible()
    assert no_sideways_scroll(phone)
    phone.goto(f"/ade/mcp/{server.id}/")
    expect(phone.get_by_role("heading", name="Tools")).to_be_visible()
    assert no_sideways_scroll(phone)
