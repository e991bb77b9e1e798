"""Tools over HTTP: `/v1/tools` (custom tools from Python source, edits, the built-ins) and an agent's tools
(`/v1/agents/{id}/tools`, attach, detach, per-agent approval). Routes that run a tool are async views, in
tool_run_views.py."""

from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api import organization_of
from accounts.selectors import get_owned
from agents import services
from agents.api import serializers as s
from agents.api.pagination import cursor_page
from agents.api.views import AgentAttachView, full_text_search, get_agent, validated
from memory.selectors import narrowed
from tools.models import Tool
from tools.search import search_tools
from tools.services import create_tool_from_source, ensure_base_tools, update_tool, upsert_tool_from_source


class PackageRequirementSerializer(serializers.Serializer):
    """The SDK's PipRequirement / NpmRequirement: anything else stored would come back in a Tool it cannot parse."""

    name = serializers.CharField()
    version = serializers.CharField(required=False, allow_null=True)


def _requirements() -> PackageRequirementSerializer:
    return PackageRequirementSerializer(many=True, required=False, allow_null=True)


class ToolCreateSerializer(serializers.Serializer):
    source_code = serializers.CharField(trim_whitespace=False)
    description = serializers.CharField(required=False, allow_null=True, allow_blank=True)
    json_schema = serializers.DictField(required=False, allow_null=True)
    tags = serializers.ListField(child=serializers.CharField(), required=False, allow_null=True)
    return_char_limit = serializers.IntegerField(required=False, min_value=1, max_value=1_000_000)
    default_requires_approval = serializers.BooleanField(required=False, allow_null=True)
    pip_requirements = _requirements()
    source_type = serializers.ChoiceField(choices=["python"], required=False)


class ToolUpdateSerializer(serializers.Serializer):
    description = serializers.CharField(required=False, allow_null=True, allow_blank=True)
    source_code = serializers.CharField(required=False, allow_null=True, trim_whitespace=False)
    source_type = serializers.ChoiceField(choices=["python"], required=False, allow_null=True)
    json_schema = serializers.DictField(required=False, allow_null=True)
    args_json_schema = serializers.DictField(required=False, allow_null=True)
    tags = serializers.ListField(child=serializers.CharField(), required=False, allow_null=True)
    return_char_limit = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=1_000_000)
    default_requires_approval = serializers.BooleanField(required=False, allow_null=True)
    enable_parallel_execution = serializers.BooleanField(required=False, allow_null=True)
    metadata = serializers.DictField(required=False, allow_null=True)
    pip_requirements = _requirements()
    npm_requirements = _requirements()


class ToolListQuerySerializer(s.ListQuerySerializer):
    name = serializers.CharField(required=False)
    search = serializers.CharField(required=False)
    return_only_letta_tools = serializers.BooleanField(required=False, allow_null=True)
    exclude_letta_tools = serializers.BooleanField(required=False, allow_null=True)


# List filters the SDK sends as repeated parameters or comma-separated values.
LIST_FILTERS = ("names", "tool_ids", "tool_types", "exclude_tool_types")


class ToolSearchSerializer(serializers.Serializer):
    query = serializers.CharField(required=False, allow_null=True, allow_blank=True)
    search_mode = serializers.ChoiceField(choices=["vector", "fts", "hybrid"], required=False, default="hybrid")
    tags = serializers.ListField(child=serializers.CharField(), required=False, allow_null=True)
    tool_types = serializers.ListField(child=serializers.CharField(), required=False, allow_null=True)
    limit = serializers.IntegerField(required=False, min_value=1, max_value=1000, default=50)


class ApprovalSerializer(serializers.Serializer):
    requires_approval = serializers.BooleanField()


def _tools(request):
    return Tool.objects.for_organization(organization_of(request))


def _tool(request, tool_id: str) -> Tool:
    return get_owned(Tool, organization_of(request), tool_id, "Tool")


def _upsert(request, data: dict, *, create: bool = False) -> Tool:
    # POST creates (refusing a name in use), PUT creates or updates: the same fields either way.
    service = create_tool_from_source if create else upsert_tool_from_source
    return service(
        organization_id=organization_of(request),
        source_code=data["source_code"],
        description=data.get("description"),
        json_schema=data.get("json_schema"),
        tags=data.get("tags"),
        return_char_limit=data.get("return_char_limit"),
        default_requires_approval=bool(data.get("default_requires_approval")),
        pip_requirements=data.get("pip_requirements"),
    )


def _listed(request, query: dict):
    """The organization's tools matching the list filters (shared by the list and the count)."""
    tools = _tools(request)
    values = {
        key: [v for raw in request.query_params.getlist(key) for v in raw.split(",") if v.strip()]
        for key in LIST_FILTERS
    }
    tools = narrowed(
        tools,
        name=query.get("name"),
        name__icontains=query.get("search"),
        name__in=values["names"],
        pk__in=values["tool_ids"],
        tool_type__in=values["tool_types"],
    )
    if values["exclude_tool_types"]:
        tools = tools.exclude(tool_type__in=values["exclude_tool_types"])
    if query.get("return_only_letta_tools"):
        tools = tools.filter(tool_type__startswith="letta_")
    if query.get("exclude_letta_tools"):
        tools = tools.exclude(tool_type__startswith="letta_")
    return tools


class ToolListView(APIView):
    def get(self, request):
        query = validated(ToolListQuerySerializer, request.query_params)
        return Response([s.tool_data(t) for t in _page(_listed(request, query), query, 50)])

    def post(self, request):
        data = validated(ToolCreateSerializer, request.data)
        return Response(s.tool_data(_upsert(request, data, create=True)))

    def put(self, request):
        return Response(s.tool_data(_upsert(request, validated(ToolCreateSerializer, request.data))))


class ToolCountView(APIView):
    def get(self, request):
        return Response(_listed(request, validated(ToolListQuerySerializer, request.query_params)).count())


class ToolSearchView(APIView):
    def post(self, request):
        data = full_text_search(
            validated(ToolSearchSerializer, request.data),
            "This server does not embed tools, so it cannot search them by vector; use "
            "search_mode 'fts' or 'hybrid' (which then ranks by words alone).",
        )
        matches = search_tools(
            organization_of(request),
            query=data.get("query"),
            tags=data.get("tags"),
            tool_types=data.get("tool_types"),
            limit=data["limit"],
        )
        return Response(
            [
                {
                    "tool": s.tool_data(m.tool),
                    "combined_score": m.score,
                    "fts_rank": m.rank,
                    "vector_rank": None,
                    "embedded_text": None,
                }
                for m in matches
            ]
        )


class BaseToolsView(APIView):
    def post(self, request):
        return Response([s.tool_data(t) for t in ensure_base_tools(organization_of(request))])


class ToolDetailView(APIView):
    def get(self, request, tool_id: str):
        return Response(s.tool_data(_tool(request, tool_id)))

    def patch(self, request, tool_id: str):
        tool = _tool(request, tool_id)
        changes = validated(ToolUpdateSerializer, request.data)
        return Response(s.tool_data(update_tool(tool, changes)))

    def delete(self, request, tool_id: str):
        _tool(request, tool_id).delete()
        return Response(None)


def _page(tools, query, default_limit: int) -> list[Tool]:
    # The SDK's auto-pager asks again with `after=<last id>` until a page comes back empty.
    return cursor_page(tools, query, what="Tool", default_limit=default_limit)


class AgentToolListView(APIView):
    def get(self, request, agent_id: str):
        agent = get_agent(request, agent_id)
        query = validated(s.ListQuerySerializer, request.query_params)
        return Response([s.tool_data(t) for t in _page(agent.tools.all(), query, 10)])


class AgentToolAttachView(AgentAttachView):
    actions = {"attach": services.attach_tool, "detach": services.detach_tool}

    def item(self, request, tool_id: str):
        return _tool(request, tool_id)


class AgentToolApprovalView(APIView):
    def patch(self, request, agent_id: str, tool_name: str):
        agent = get_agent(request, agent_id)
        raw = request.data if request.data else {"requires_approval": request.query_params.get("requires_approval")}
        wanted = validated(ApprovalSerializer, raw)["requires_approval"]
        services.set_tool_approval(agent, tool_name, wanted)
        return Response(s.agent_state(get_agent(request, agent_id, with_relations=True)))
