"""Routes that run a tool: `POST /v1/tools/run` (source code, not stored) and
`POST /v1/agents/{id}/tools/{name}/run` (one of the agent's tools, on that agent).

Plain async views, like send_views.py: a tool may take up to LETTA_TOOL_TIMEOUT seconds in its sandbox, and a sync
view would hold a worker thread (and with it every other sync request) for that long.
"""

import uuid

from django.conf import settings
from django.http import JsonResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from agents.api import serializers as s
from agents.api.async_views import api_view
from agents.api.views import validated
from agents.runtime.tool_run import run_agent_tool
from tools.context import ToolResult
from tools.sandbox import run_custom_tool
from tools.schema import SchemaError, schema_from_source


class ToolRunFromSourceSerializer(serializers.Serializer):
    source_code = serializers.CharField(trim_whitespace=False)
    args = serializers.DictField(required=False, default=dict)
    env_vars = serializers.DictField(child=serializers.CharField(allow_blank=True), required=False, allow_null=True)
    name = serializers.CharField(required=False, allow_null=True, allow_blank=True)
    source_type = serializers.ChoiceField(choices=["python"], required=False, allow_null=True)
    json_schema = serializers.DictField(required=False, allow_null=True)
    args_json_schema = serializers.DictField(required=False, allow_null=True)
    pip_requirements = serializers.ListField(required=False, allow_null=True)
    npm_requirements = serializers.ListField(required=False, allow_null=True)


class AgentToolRunSerializer(serializers.Serializer):
    args = serializers.DictField(required=False, default=dict)


class ToolExecutionResultSerializer(s.ResponseSerializer):
    """The SDK's ToolExecutionResult."""

    status = serializers.ChoiceField(choices=s.TOOL_RESULT_STATUSES)
    func_return = s.nullable(serializers.JSONField)
    stdout = s.nullable(serializers.ListField, child=serializers.CharField())
    stderr = s.nullable(serializers.ListField, child=serializers.CharField())
    agent_state = s.Always(None, s.nullable(serializers.DictField))
    sandbox_config_fingerprint = s.Always(None, s.nullable(serializers.CharField))


class ToolReturnMessageSerializer(ToolExecutionResultSerializer):
    """Letta's answer to /v1/tools/run is a ToolReturnMessage; ToolExecutionResult's fields ride along so that
    clients reading one (as for an agent's tool) find what they expect too. The tool's name is `context["name"]`."""

    id = serializers.SerializerMethodField()
    date = serializers.SerializerMethodField()
    name = serializers.SerializerMethodField()
    message_type = s.Always("tool_return_message", serializers.ChoiceField(choices=["tool_return_message"]))
    tool_call_id = serializers.SerializerMethodField()
    tool_return = s.nullable(serializers.JSONField, source="func_return")

    def get_id(self, result: ToolResult) -> str:
        return f"message-{uuid.uuid4()}"

    @extend_schema_field(OpenApiTypes.DATETIME)
    def get_date(self, result: ToolResult) -> str:
        return timezone.now().isoformat()

    @extend_schema_field(OpenApiTypes.STR)
    def get_name(self, result: ToolResult) -> str | None:
        return self.context["name"]

    def get_tool_call_id(self, result: ToolResult) -> str:
        return f"call-{uuid.uuid4().hex[:24]}"


_EXECUTION_RESULT = ToolExecutionResultSerializer()


def _execution_result(result: ToolResult) -> dict:
    return _EXECUTION_RESULT.to_representation(result)


def _tool_return_message(result: ToolResult, name: str) -> dict:
    return ToolReturnMessageSerializer(context={"name": name}).to_representation(result)


@api_view("POST", body=True)
async def run_from_source(request):
    data = validated(ToolRunFromSourceSerializer, request.json)
    schema = data.get("json_schema") or schema_from_source(data["source_code"], data.get("name") or None)
    name = schema.get("name") or data.get("name")
    if not name:
        raise SchemaError("json_schema has no 'name'; give the function's name in json_schema or in 'name'.")
    result = await run_custom_tool(
        data["source_code"],
        name,
        data.get("args") or {},
        schema=schema,
        return_char_limit=1_000_000,
        env=data.get("env_vars") or {},
        timeout_seconds=settings.TOOL_TIMEOUT_SECONDS,
        organization_id=request.organization_id,
    )
    return JsonResponse(_tool_return_message(result, name))


@api_view("POST", body=True)
async def run_agent_tool_view(request, agent_id: str, tool_name: str):
    data = validated(AgentToolRunSerializer, request.json)
    result = await run_agent_tool(agent_id, request.organization_id, tool_name, data.get("args") or {})
    return JsonResponse(_execution_result(result))
