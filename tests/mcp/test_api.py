"""`/v1/mcp-servers` through Django's test client: shapes, masking, errors and organization scoping."""

import pytest

from tests.mcp.servers import HANGING, TIME, closed_port_url
from tools.models import MCPServer, Tool

pytestmark = pytest.mark.django_db(transaction=True)

URL = "/v1/mcp-servers/"


def create(api, name, config):
    return api.post(URL, {"server_name": name, "config": config}, content_type="application/json")


@pytest.fixture
def time_server(api):
    response = create(api, "time", TIME)
    assert response.status_code == 200, response.content
    return response.json()


def test_create_list_retrieve_a_stdio_server(api, time_server):
    assert time_server["id"].startswith("mcp_server-")
    assert time_server["mcp_server_type"] == "stdio" and time_server["command"] == TIME["command"]
    assert "server_url" not in time_server
    assert api.get(URL).json() == [time_server]
    assert api.get(f"{URL}{time_server['id']}").json() == time_server

    tools = api.get(f"{URL}{time_server['id']}/tools").json()
    assert [t["name"] for t in tools] == ["convert_time", "get_current_time"]
    assert tools[0]["tool_type"] == "external_mcp"
    one = api.get(f"{URL}{time_server['id']}/tools/{tools[1]['id']}").json()
    assert one["metadata_"]["mcp"]["server_name"] == "time"
    # The server's tools are ordinary tools too.
    assert {t["name"] for t in api.get("/v1/tools/?tool_types=external_mcp").json()} == {
        "convert_time",
        "get_current_time",
    }


def test_run_a_tool_and_its_errors_answer_a_tool_execution_result(api, time_server):
    tool = api.get(f"{URL}{time_server['id']}/tools").json()[1]
    run = f"{URL}{time_server['id']}/tools/{tool['id']}/run"

    ok = api.post(run, {"args": {"timezone": "UTC"}}, content_type="application/json").json()
    bad = api.post(run, {"args": {"timezone": "Mars/Olympus"}}, content_type="application/json").json()

    assert ok["status"] == "success" and '"timezone": "UTC"' in ok["func_return"]
    assert bad["status"] == "error" and "Mars/Olympus" in bad["func_return"]


def test_a_hanging_server_answers_the_same_error_shape(api, time_server, settings):
    tool = api.get(f"{URL}{time_server['id']}/tools").json()[1]
    MCPServer.objects.filter(pk=time_server["id"]).update(command=HANGING["command"], args=HANGING["args"])
    settings.MCP_TIMEOUT_SECONDS = 2

    response = api.post(f"{URL}{time_server['id']}/tools/{tool['id']}/run", {}, content_type="application/json")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "error"
    assert body["func_return"] == "Error: MCP server 'time' did not answer within 2 s (LETTA_MCP_TIMEOUT_SECONDS)."


def test_headers_and_tokens_are_never_returned(api, mcp_http, loopback_allowed):
    config = {
        "mcp_server_type": "streamable_http",
        "server_url": mcp_http.url,
        "auth_header": "Authorization",
        "auth_token": "Bearer tok-987",
        "custom_headers": {"X-Api-Key": "key-654"},
    }
    created = create(api, "calc", config)
    assert created.status_code == 200, created.content
    server = created.json()
    listed = api.get(URL).content.decode()
    retrieved = api.get(f"{URL}{server['id']}").content.decode()

    for body in (created.content.decode(), listed, retrieved):
        assert "tok-987" not in body and "key-654" not in body
    assert server["auth_token"] == "********" and server["custom_headers"] == {"X-Api-Key": "********"}
    assert "command" not in server

    # Sending the masked values back (as a client that edits what it read would) keeps the secrets.
    changed = api.patch(
        f"{URL}{server['id']}",
        {
            "server_name": "calculator",
            "config": {**config, "auth_token": "********", "custom_headers": server["custom_headers"]},
        },
        content_type="application/json",
    )
    assert changed.status_code == 200 and changed.json()["server_name"] == "calculator"
    stored = MCPServer.objects.get(pk=server["id"])
    assert (stored.auth_token, stored.custom_headers) == ("Bearer tok-987", {"X-Api-Key": "key-654"})
    assert Tool.objects.get(name="add").metadata["mcp"]["server_name"] == "calculator"
    tool = api.get(f"{URL}{server['id']}/tools").json()[0]
    api.post(f"{URL}{server['id']}/tools/{tool['id']}/run", {"args": {"a": 1, "b": 2}}, content_type="application/json")
    assert mcp_http.seen[-1]["authorization"] == "Bearer tok-987" and mcp_http.seen[-1]["x-api-key"] == "key-654"


def test_a_server_that_is_down_is_a_clear_502_and_nothing_is_stored(api, loopback_allowed):
    response = create(api, "down", {"mcp_server_type": "streamable_http", "server_url": closed_port_url()})
    assert response.status_code == 502
    assert response.json()["detail"] == "MCP server 'down' is unavailable: nothing accepted the connection."
    assert not MCPServer.objects.exists()


def test_a_loopback_address_is_refused_by_the_outbound_policy(api, mcp_http):
    response = create(api, "calc", {"mcp_server_type": "streamable_http", "server_url": mcp_http.url})
    assert response.status_code == 400
    assert "LETTA_OUTBOUND_ALLOW" in response.json()["detail"]


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"mcp_server_type": "stdio", "args": []}, "needs a command"),
        ({"mcp_server_type": "sse", "server_url": "ftp://example.com"}, "http:// or https://"),
    ],
)
def test_an_unusable_config_is_refused_with_what_to_fix(api, config, message):
    response = create(api, "bad", config)
    assert response.status_code == 422 and message in response.json()["detail"]


def test_a_second_server_with_the_same_name_is_a_conflict(api, time_server):
    response = create(api, "time", TIME)
    assert response.status_code == 409 and "already exists" in response.json()["detail"]


def test_refresh_and_delete(api, time_server):
    report = api.patch(f"{URL}{time_server['id']}/refresh").json()
    assert report["unchanged"] == ["get_current_time", "convert_time"] and report["added"] == []

    assert api.delete(f"{URL}{time_server['id']}").status_code == 200
    assert api.get(URL).json() == []
    assert not Tool.objects.filter(tool_type="external_mcp").exists()


def test_another_organization_sees_none_of_it(api, other_api, time_server):
    server_id = time_server["id"]
    tool_id = api.get(f"{URL}{server_id}/tools").json()[0]["id"]

    assert other_api.get(URL).json() == []
    for method, path in [
        ("get", f"{URL}{server_id}"),
        ("patch", f"{URL}{server_id}"),
        ("delete", f"{URL}{server_id}"),
        ("patch", f"{URL}{server_id}/refresh"),
        ("get", f"{URL}{server_id}/tools"),
        ("get", f"{URL}{server_id}/tools/{tool_id}"),
        ("post", f"{URL}{server_id}/tools/{tool_id}/run"),
    ]:
        body = {"config": {"command": "x"}} if method == "patch" else {}
        response = getattr(other_api, method)(path, body, content_type="application/json")
        assert response.status_code == 404, (method, path)
    assert MCPServer.objects.filter(pk=server_id).exists()


def test_an_mcp_tools_code_cannot_be_edited_and_the_refusal_says_whose_it_is(api, time_server):
    [tool] = [t for t in api.get(f"{URL}{time_server['id']}/tools").json() if t["name"] == "get_current_time"]

    response = api.patch(
        f"/v1/tools/{tool['id']}", {"description": "mine now", "tags": ["clock"]}, content_type="application/json"
    )

    assert response.status_code == 400
    detail = response.json()["detail"]
    assert "MCP server's tool" in detail and "refresh the server" in detail and "built-in" not in detail
    kept = Tool.objects.get(pk=tool["id"])
    assert (kept.description, kept.tags) == (tool["description"], tool["tags"])  # nothing of the request was kept
