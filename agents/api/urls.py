"""`/v1/` routes. Trailing slashes are optional (`[/]?`): the SDK asks for `/v1/agents/` but `/v1/agents/{id}`,
and a redirect would drop a POST body.

Route families the reference has but this server does not serve yet answer 501 naming the family, and anything
else under /v1 answers a JSON 404, so a client never gets an HTML error page.
"""

from django.http import JsonResponse
from django.urls import re_path
from drf_spectacular.views import SpectacularJSONAPIView, SpectacularSwaggerView

from agents.api import agent_file_views, archival_views, run_views, tool_views, views

AGENT = r"^agents/(?P<agent_id>[^/]+)"

# Reference route families not implemented yet (more specific agent sub-routes first).
NOT_IMPLEMENTED = [
    (r"^agents/count", "Agent count (/v1/agents/count)"),
    (AGENT + r"/messages/async", "Background runs (/v1/agents/{id}/messages/async)"),
    (AGENT + r"/core-memory/blocks/(attach|detach)/", "Attaching blocks (/v1/agents/{id}/core-memory/blocks/attach)"),
    (AGENT + r"/tools/[^/]+/run", "Running a tool directly (/v1/agents/{id}/tools/{name}/run)"),
    (AGENT + r"/passages", "Passages (/v1/agents/{id}/passages)"),
    (AGENT + r"/reset-messages", "Resetting messages (/v1/agents/{id}/reset-messages)"),
    (AGENT + r"/recompile", "Recompiling (/v1/agents/{id}/recompile)"),
    (AGENT + r"/(folders|sources|files|identities|archives|groups|schedule)", "That agent sub-resource"),
    (AGENT + r"/messages/(?!cancel)[^/]+", "Single-message routes (/v1/agents/{id}/messages/{message_id})"),
    (r"^runs/[^/]+/", "Run sub-resources (/v1/runs/{id}/messages, steps, usage, stream)"),
    (r"^runs[/]?$", "Listing runs (/v1/runs/)"),
    (r"^models/.", "Model sub-routes (/v1/models/embedding)"),
    (r"^tools/", "That tool route (/v1/tools/run, /v1/tools/add-base-tools, ...)"),
]
for family in ("blocks", "mcp-servers", "folders", "sources", "identities", "groups", "archives", "steps",
               "providers", "conversations", "tags", "templates", "messages", "passages",
               "access-tokens", "environments"):
    NOT_IMPLEMENTED.append((rf"^{family}(/|$)", f"/v1/{family}"))


def _not_implemented(what: str):
    def view(request, *args, **kwargs):
        return JsonResponse({"detail": f"{what} is not implemented by this server yet."}, status=501)

    return view


def not_found(request, path=""):
    return JsonResponse({"detail": f"Not found: {request.method} {request.path} is not a route of this API."},
                        status=404)


urlpatterns = [
    re_path(r"^agents[/]?$", views.AgentListView.as_view(), name="api-agents"),
    re_path(r"^agents/import[/]?$", agent_file_views.AgentImportView.as_view(), name="api-agent-import"),
    re_path(AGENT + r"/export[/]?$", agent_file_views.AgentExportView.as_view(), name="api-agent-export"),
    re_path(AGENT + r"[/]?$", views.AgentDetailView.as_view(), name="api-agent"),
    re_path(AGENT + r"/core-memory/blocks[/]?$", views.AgentBlockListView.as_view(), name="api-agent-blocks"),
    re_path(AGENT + r"/core-memory/blocks/(?P<label>(?!attach/|detach/)[^/]+)[/]?$",
            views.AgentBlockDetailView.as_view(), name="api-agent-block"),
    re_path(AGENT + r"/messages[/]?$", run_views.agent_messages, name="api-agent-messages"),
    re_path(AGENT + r"/messages/stream[/]?$", run_views.agent_messages_stream, name="api-agent-stream"),
    re_path(AGENT + r"/messages/cancel[/]?$", views.CancelView.as_view(), name="api-agent-cancel"),
    re_path(AGENT + r"/context[/]?$", views.ContextView.as_view(), name="api-agent-context"),
    re_path(AGENT + r"/summarize[/]?$", run_views.summarize, name="api-agent-summarize"),
    re_path(r"^runs/(?P<run_id>[^/]+)[/]?$", views.RunDetailView.as_view(), name="api-run"),
    re_path(AGENT + r"/archival-memory[/]?$", archival_views.ArchivalListView.as_view(), name="api-archival"),
    re_path(AGENT + r"/archival-memory/search[/]?$", archival_views.ArchivalSearchView.as_view(),
            name="api-archival-search"),
    re_path(AGENT + r"/archival-memory/(?P<passage_id>[^/]+)[/]?$", archival_views.ArchivalDetailView.as_view(),
            name="api-archival-passage"),
    re_path(r"^models[/]?$", run_views.models, name="api-models"),
    re_path(r"^tools[/]?$", tool_views.ToolListView.as_view(), name="api-tools"),
    re_path(r"^tools/(?P<tool_id>tool-[^/]+)[/]?$", tool_views.ToolDetailView.as_view(), name="api-tool"),
    re_path(AGENT + r"/tools[/]?$", tool_views.AgentToolListView.as_view(), name="api-agent-tools"),
    re_path(AGENT + r"/tools/(?P<action>attach|detach)/(?P<tool_id>[^/]+)[/]?$",
            tool_views.AgentToolAttachView.as_view(), name="api-agent-tool-attach"),
    re_path(AGENT + r"/tools/approval/(?P<tool_name>[^/]+)[/]?$", tool_views.AgentToolApprovalView.as_view(),
            name="api-agent-tool-approval"),
    # The OpenAPI schema and its Swagger UI page, readable without a key (routes described in agents/api/schema.py).
    re_path(r"^openapi\.json$", SpectacularJSONAPIView.as_view(), name="api-schema"),
    re_path(r"^docs[/]?$", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    *[re_path(pattern, _not_implemented(what)) for pattern, what in NOT_IMPLEMENTED],
    re_path(r"^(?P<path>.*)$", not_found),
]
