"""An MCP server's URL is stored encrypted (hosted servers such as Zapier's put a secret in its path or query): its
column holds a token, while the API answers the URL as given and the client connects to it, secret included."""

from functools import partial

import pytest

from tests.at_rest import stored
from tools.models import MCPServer

pytestmark = pytest.mark.django_db(transaction=True)

SECRET = "zap-secret-7710"
URL = "/v1/mcp-servers/"
BEFORE = ("tools", "0002_mcp_server")
ENCRYPTED = ("tools", "0003_mcp_server_url_encrypted")


stored_url = partial(stored, MCPServer, "server_url")


def test_the_url_is_stored_encrypted_answered_as_given_and_connected_to(api, mcp_http, loopback_allowed):
    server_url = f"{mcp_http.url}?token={SECRET}"
    config = {"mcp_server_type": "streamable_http", "server_url": server_url}

    created = api.post(URL, {"server_name": "calc", "config": config}, content_type="application/json")

    assert created.status_code == 200, created.content
    server_id = created.json()["id"]
    assert stored_url(server_id).startswith("enc1:") and SECRET not in stored_url(server_id)
    assert created.json()["server_url"] == server_url
    assert api.get(f"{URL}{server_id}").json()["server_url"] == server_url
    assert [s["server_url"] for s in api.get(URL).json()] == [server_url]
    tool = next(t for t in api.get(f"{URL}{server_id}/tools").json() if t["name"] == "add")
    mcp_http.queries.clear()
    ran = api.post(
        f"{URL}{server_id}/tools/{tool['id']}/run", {"args": {"a": 2, "b": 3}}, content_type="application/json"
    )
    assert ran.json()["func_return"] == "5"
    assert mcp_http.queries and set(mcp_http.queries) == {f"token={SECRET}"}


def test_the_migration_encrypts_urls_stored_in_plain_text_and_its_reverse_restores_them(org, migrated_to):
    plain = f"https://mcp.example.com/api/{SECRET}/mcp"
    old = migrated_to(BEFORE).get_model("tools", "MCPServer")
    server = old.objects.create(organization_id=org.id, server_name="zapier", mcp_server_type="sse", server_url=plain)

    migrated_to(ENCRYPTED)

    assert stored_url(server.pk).startswith("enc1:") and SECRET not in stored_url(server.pk)
    assert MCPServer.objects.get(pk=server.pk).server_url == plain

    migrated_to(BEFORE)

    assert stored_url(server.pk) == plain
