"""`/v1/mcp-servers`: MCP servers and their tools (the SDK's `mcp_servers` family, all nine methods).

Plain async views, like tool_run_views.py: creating, refreshing and running a tool talk to the server, which may
take up to LETTA_MCP_TIMEOUT_SECONDS, and a sync view would hold a worker thread that long. The rules live in
`tools.mcp.services`; a server's secrets leave here only masked.
"""

from asgiref.sync import sync_to_async
from django.http import JsonResponse
from rest_framework import serializers

from accounts.selectors import get_owned
from agents.api import serializers as s
from agents.api.async_views import api_view
from agents.api.tool_run_views import _execution_result
from agents.api.views import validated
from letta_project.encryption import SECRET_MASK, masked
from tools.mcp import services
from tools.models import MCPServer, Tool

STDIO_ONLY = ("command", "args", "env")
HTTP_ONLY = ("server_url", "auth_header", "auth_token", "custom_headers")


class MCPConfigSerializer(serializers.Serializer):
    """One of the SDK's Create/Update{Stdio,Sse,StreamableHTTP}McpServerParam: which fields count depends on
    `mcp_server_type`."""

    mcp_server_type = serializers.ChoiceField(choices=MCPServer.Type.values, required=False)
    command = serializers.CharField(required=False, allow_null=True, max_length=1000)
    args = serializers.ListField(child=serializers.CharField(allow_blank=True), required=False, allow_null=True)
    env = serializers.DictField(child=serializers.CharField(allow_blank=True), required=False, allow_null=True)
    server_url = serializers.CharField(required=False, allow_null=True, max_length=2000)
    auth_header = serializers.CharField(required=False, allow_null=True, allow_blank=True, max_length=200)
    auth_token = serializers.CharField(required=False, allow_null=True, allow_blank=True, max_length=10_000)
    custom_headers = serializers.DictField(
        child=serializers.CharField(allow_blank=True), required=False, allow_null=True
    )


class MCPServerCreateSerializer(serializers.Serializer):
    server_name = serializers.CharField(max_length=100)
    config = MCPConfigSerializer()


class MCPServerUpdateSerializer(serializers.Serializer):
    server_name = serializers.CharField(max_length=100, required=False, allow_null=True)
    config = MCPConfigSerializer()


class MCPToolRunSerializer(serializers.Serializer):
    args = serializers.DictField(required=False, default=dict)


class Masked(s.OnRequest):
    """A secret, always sent masked by the serializer's `get_<name>`; optional in the schema, as in the SDK."""


class MCPServerSerializer(s.ResponseSerializer):
    """StdioMcpServer, SseMcpServer or StreamableHTTPMcpServer (the fields of the other kinds are left out).
    Secrets are masked: header and environment names are shown, their values never."""

    id = serializers.CharField()
    server_name = serializers.CharField()
    mcp_server_type = serializers.ChoiceField(choices=MCPServer.Type.values)
    command = s.nullable(serializers.CharField)
    args = s.nullable(serializers.ListField, child=serializers.CharField())
    env = Masked(serializers.DictField(child=serializers.CharField(), allow_null=True))
    server_url = s.nullable(serializers.CharField)
    auth_header = s.nullable(serializers.CharField)
    auth_token = Masked(serializers.CharField(allow_null=True))
    custom_headers = Masked(serializers.DictField(child=serializers.CharField(), allow_null=True))

    def get_env(self, server: MCPServer) -> dict | None:
        return _masked(server.env)

    def get_auth_token(self, server: MCPServer) -> str | None:
        return SECRET_MASK if server.auth_token else None

    def get_custom_headers(self, server: MCPServer) -> dict | None:
        return _masked(server.custom_headers)


def _masked(values: dict | None) -> dict | None:
    return None if values is None else masked(values)


class MCPRefreshSerializer(serializers.Serializer):
    added = serializers.ListField(child=serializers.CharField())
    updated = serializers.ListField(child=serializers.CharField())
    deleted = serializers.ListField(child=serializers.CharField())
    unchanged = serializers.ListField(child=serializers.CharField())
    skipped = serializers.DictField(child=serializers.CharField(), help_text="Tools not added, with the reason.")


_SERVER = MCPServerSerializer()


def server_data(server: MCPServer) -> dict:
    data = _SERVER.to_representation(server)
    for key in HTTP_ONLY if server.is_stdio else STDIO_ONLY:
        data.pop(key)
    return data


def _server(request, server_id: str) -> MCPServer:
    return get_owned(MCPServer, request.organization_id, server_id, "MCP server")


def _server_tool(request, server_id: str, tool_id: str) -> tuple[MCPServer, Tool]:
    server = _server(request, server_id)
    return server, get_owned(services.server_tools(server), request.organization_id, tool_id, "MCP tool")


def _list(request) -> list[dict]:
    return [server_data(x) for x in MCPServer.objects.for_organization(request.organization_id)]


def _tools(request, server_id: str) -> list[dict]:
    return [s.tool_data(t) for t in services.server_tools(_server(request, server_id)).order_by("name")]


@api_view("GET", "POST", body=True)
async def server_list(request):
    if request.method == "GET":
        return JsonResponse(await sync_to_async(_list)(request), safe=False)
    data = validated(MCPServerCreateSerializer, request.json)
    server, _ = await services.create_server(request.organization_id, data["server_name"], dict(data["config"]))
    return JsonResponse(server_data(server))


def _update(request, server_id: str, data: dict) -> dict:
    server = services.update_server(_server(request, server_id), data.get("server_name"), dict(data["config"]))
    return server_data(server)


def _delete(request, server_id: str) -> None:
    services.delete_server(_server(request, server_id))


@api_view("GET", "PATCH", "DELETE", body=True)
async def server_detail(request, server_id: str):
    if request.method == "GET":
        return JsonResponse(server_data(await sync_to_async(_server)(request, server_id)))
    if request.method == "PATCH":
        data = validated(MCPServerUpdateSerializer, request.json)
        return JsonResponse(await sync_to_async(_update)(request, server_id, data))
    await sync_to_async(_delete)(request, server_id)
    return JsonResponse(None, safe=False)


@api_view("PATCH")
async def server_refresh(request, server_id: str):
    """Re-read the server's tools. `agent_id` (the SDK may send it) is accepted and not needed: an attached tool
    stays attached when it is updated, and one the server dropped is detached as it is deleted."""
    server = await sync_to_async(_server)(request, server_id)
    report = await services.refresh_server(server)
    return JsonResponse(report.as_dict())


@api_view("GET")
async def server_tool_list(request, server_id: str):
    return JsonResponse(await sync_to_async(_tools)(request, server_id), safe=False)


@api_view("GET")
async def server_tool_detail(request, server_id: str, tool_id: str):
    _, tool = await sync_to_async(_server_tool)(request, server_id, tool_id)
    return JsonResponse(s.tool_data(tool))


@api_view("POST", body=True)
async def server_tool_run(request, server_id: str, tool_id: str):
    """A server that is down or slow answers 200 with an error result, as the model sees it in a run."""
    data = validated(MCPToolRunSerializer, request.json)
    server, tool = await sync_to_async(_server_tool)(request, server_id, tool_id)
    result = await services.run_tool(server, tool.name, data.get("args") or {}, tool.return_char_limit)
    return JsonResponse(_execution_result(result))
