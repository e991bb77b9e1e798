"""`/v1/` routes. Trailing slashes are optional (`[/]?`): the SDK asks for `/v1/agents/` but `/v1/agents/{id}`,
and a redirect would drop a POST body.

Route families the reference has but this server does not serve yet answer 501 naming the family, and anything
else under /v1 answers a JSON 404, so a client never gets an HTML error page.
"""

from django.conf import settings
from django.http import JsonResponse
from django.urls import re_path
from django.views.decorators.csp import csp_override
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.views import SpectacularJSONAPIView, SpectacularSwaggerView

from agents.api import (
    agent_file_views,
    archival_views,
    archive_views,
    block_views,
    context_views,
    conversation_views,
    group_views,
    mcp_views,
    message_views,
    model_views,
    provider_views,
    run_views,
    schedules,
    send_views,
    tag_views,
    tool_run_views,
    tool_views,
    views,
)

AGENT = r"^agents/(?P<agent_id>[^/]+)"

# Reference route families not implemented yet (more specific agent sub-routes first).
NOT_IMPLEMENTED = [
    (AGENT + r"/passages", "Passages (/v1/agents/{id}/passages)"),
    (AGENT + r"/(folders|sources|files|identities)", "That agent sub-resource"),
    (r"^groups/[^/]+/(messages|reset-messages)", "Group messages (/v1/groups/{id}/messages)"),
    (AGENT + r"/messages/(?!cancel)[^/]+", "Single-message routes (/v1/agents/{id}/messages/{message_id})"),
    (r"^blocks/[^/]+/(identities|proposals)", "Block sub-resources (/v1/blocks/{id}/identities, proposals)"),
    (r"^tools/", "That tool route"),
]
for family in (
    "folders",
    "sources",
    "identities",
    "templates",
    "access-tokens",
    "client-side-access-tokens",
    "environments",
):
    NOT_IMPLEMENTED.append((rf"^{family}(/|$)", f"/v1/{family}"))


CONVERSATION = r"^conversations/(?P<conversation_id>[^/]+)"
CONVERSATION_ROUTES = [
    re_path(r"^conversations[/]?$", conversation_views.ConversationListView.as_view(), name="api-conversations"),
    re_path(CONVERSATION + r"[/]?$", conversation_views.ConversationDetailView.as_view(), name="api-conversation"),
    re_path(
        CONVERSATION + r"/messages[/]?$", conversation_views.conversation_messages, name="api-conversation-messages"
    ),
    re_path(CONVERSATION + r"/stream[/]?$", conversation_views.conversation_stream, name="api-conversation-stream"),
    re_path(
        CONVERSATION + r"/cancel[/]?$",
        conversation_views.ConversationCancelView.as_view(),
        name="api-conversation-cancel",
    ),
    re_path(CONVERSATION + r"/compact[/]?$", conversation_views.conversation_compact, name="api-conversation-compact"),
    re_path(
        CONVERSATION + r"/recompile[/]?$",
        conversation_views.ConversationRecompileView.as_view(),
        name="api-conversation-recompile",
    ),
    re_path(
        CONVERSATION + r"/fork[/]?$", conversation_views.ConversationForkView.as_view(), name="api-conversation-fork"
    ),
]

MCP = r"^mcp-servers/(?P<server_id>[^/]+)"
MCP_ROUTES = [
    re_path(r"^mcp-servers[/]?$", mcp_views.server_list, name="api-mcp-servers"),
    re_path(MCP + r"[/]?$", mcp_views.server_detail, name="api-mcp-server"),
    re_path(MCP + r"/refresh[/]?$", mcp_views.server_refresh, name="api-mcp-server-refresh"),
    re_path(MCP + r"/tools[/]?$", mcp_views.server_tool_list, name="api-mcp-server-tools"),
    re_path(MCP + r"/tools/(?P<tool_id>[^/]+)[/]?$", mcp_views.server_tool_detail, name="api-mcp-server-tool"),
    re_path(MCP + r"/tools/(?P<tool_id>[^/]+)/run[/]?$", mcp_views.server_tool_run, name="api-mcp-server-tool-run"),
]


# Both fallbacks are CSRF-exempt like every API view: a client with an API key has no CSRF cookie, and Django's
# HTML 403 would hide the JSON answer it can act on.
def _not_implemented(what: str):
    @csrf_exempt
    def view(request, *args, **kwargs):
        return JsonResponse({"detail": f"{what} is not implemented by this server yet."}, status=501)

    return view


@csrf_exempt
def not_found(request, path=""):
    return JsonResponse(
        {"detail": f"Not found: {request.method} {request.path} is not a route of this API."}, status=404
    )


urlpatterns = [
    re_path(r"^agents[/]?$", views.AgentListView.as_view(), name="api-agents"),
    re_path(r"^agents/import[/]?$", agent_file_views.AgentImportView.as_view(), name="api-agent-import"),
    re_path(AGENT + r"/export[/]?$", agent_file_views.AgentExportView.as_view(), name="api-agent-export"),
    re_path(r"^agents/count[/]?$", views.AgentCountView.as_view(), name="api-agent-count"),
    re_path(AGENT + r"[/]?$", views.AgentDetailView.as_view(), name="api-agent"),
    re_path(AGENT + r"/core-memory/blocks[/]?$", views.AgentBlockListView.as_view(), name="api-agent-blocks"),
    re_path(
        AGENT + r"/core-memory/blocks/(?P<label>(?!attach/|detach/)[^/]+)[/]?$",
        views.AgentBlockDetailView.as_view(),
        name="api-agent-block",
    ),
    re_path(
        AGENT + r"/core-memory/blocks/(?P<action>attach|detach)/(?P<block_id>[^/]+)[/]?$",
        block_views.AgentBlockAttachView.as_view(),
        name="api-agent-block-attach",
    ),
    re_path(AGENT + r"/reset-messages[/]?$", context_views.ResetMessagesView.as_view(), name="api-agent-reset"),
    re_path(AGENT + r"/recompile[/]?$", context_views.RecompileView.as_view(), name="api-agent-recompile"),
    re_path(
        AGENT + r"/messages/(?P<message_id>message-[^/]+)[/]?$",
        context_views.MessageDetailView.as_view(),
        name="api-agent-message",
    ),
    re_path(AGENT + r"/messages[/]?$", send_views.agent_messages, name="api-agent-messages"),
    re_path(AGENT + r"/messages/stream[/]?$", send_views.agent_messages_stream, name="api-agent-stream"),
    re_path(AGENT + r"/messages/cancel[/]?$", views.CancelView.as_view(), name="api-agent-cancel"),
    re_path(AGENT + r"/context[/]?$", context_views.AgentContextView.as_view(), name="api-agent-context"),
    re_path(AGENT + r"/summarize[/]?$", send_views.summarize, name="api-agent-summarize"),
    re_path(AGENT + r"/messages/async[/]?$", send_views.agent_messages_async, name="api-agent-async"),
    re_path(AGENT + r"/schedule[/]?$", schedules.ScheduleListView.as_view(), name="api-agent-schedules"),
    re_path(
        AGENT + r"/schedule/(?P<scheduled_message_id>[^/]+)[/]?$",
        schedules.ScheduleDetailView.as_view(),
        name="api-agent-schedule",
    ),
    re_path(r"^runs[/]?$", run_views.RunListView.as_view(), name="api-runs"),
    re_path(r"^runs/(?P<run_id>[^/]+)[/]?$", views.RunDetailView.as_view(), name="api-run"),
    re_path(r"^runs/(?P<run_id>[^/]+)/messages[/]?$", run_views.RunMessagesView.as_view(), name="api-run-messages"),
    re_path(r"^runs/(?P<run_id>[^/]+)/steps[/]?$", run_views.RunStepsView.as_view(), name="api-run-steps"),
    re_path(r"^runs/(?P<run_id>[^/]+)/usage[/]?$", run_views.RunUsageView.as_view(), name="api-run-usage"),
    re_path(r"^runs/(?P<run_id>[^/]+)/metrics[/]?$", run_views.RunMetricsView.as_view(), name="api-run-metrics"),
    re_path(r"^runs/(?P<run_id>[^/]+)/stream[/]?$", send_views.run_stream, name="api-run-stream"),
    re_path(r"^runs/(?P<run_id>[^/]+)/trace[/]?$", run_views.RunTraceView.as_view(), name="api-run-trace"),
    re_path(r"^steps[/]?$", run_views.StepListView.as_view(), name="api-steps"),
    re_path(r"^steps/(?P<step_id>[^/]+)[/]?$", run_views.StepDetailView.as_view(), name="api-step"),
    re_path(
        r"^steps/(?P<step_id>[^/]+)/messages[/]?$",
        run_views.StepMessagesView.as_view(),
        name="api-step-messages",
    ),
    re_path(r"^steps/(?P<step_id>[^/]+)/metrics[/]?$", run_views.StepMetricsView.as_view(), name="api-step-metrics"),
    re_path(r"^steps/(?P<step_id>[^/]+)/trace[/]?$", run_views.StepTraceView.as_view(), name="api-step-trace"),
    re_path(
        r"^steps/(?P<step_id>[^/]+)/feedback[/]?$",
        run_views.StepFeedbackView.as_view(),
        name="api-step-feedback",
    ),
    re_path(AGENT + r"/archival-memory[/]?$", archival_views.ArchivalListView.as_view(), name="api-archival"),
    re_path(
        AGENT + r"/archival-memory/search[/]?$", archival_views.ArchivalSearchView.as_view(), name="api-archival-search"
    ),
    re_path(
        AGENT + r"/archival-memory/(?P<passage_id>[^/]+)[/]?$",
        archival_views.ArchivalDetailView.as_view(),
        name="api-archival-passage",
    ),
    re_path(r"^models[/]?$", model_views.models, name="api-models"),
    re_path(r"^models/embedding[/]?$", model_views.embedding_models, name="api-embedding-models"),
    re_path(r"^providers[/]?$", provider_views.ProviderListView.as_view(), name="api-providers"),
    re_path(r"^providers/check[/]?$", provider_views.check_new, name="api-provider-check"),
    re_path(
        r"^providers/(?P<provider_id>provider-[^/]+)[/]?$",
        provider_views.ProviderDetailView.as_view(),
        name="api-provider",
    ),
    re_path(
        r"^providers/(?P<provider_id>provider-[^/]+)/check[/]?$",
        provider_views.check_existing,
        name="api-provider-check-existing",
    ),
    re_path(r"^tools[/]?$", tool_views.ToolListView.as_view(), name="api-tools"),
    re_path(r"^tools/(?P<tool_id>tool-[^/]+)[/]?$", tool_views.ToolDetailView.as_view(), name="api-tool"),
    re_path(r"^tools/count[/]?$", tool_views.ToolCountView.as_view(), name="api-tool-count"),
    re_path(r"^tools/add-base-tools[/]?$", tool_views.BaseToolsView.as_view(), name="api-tool-base"),
    re_path(r"^tools/run[/]?$", tool_run_views.run_from_source, name="api-tool-run"),
    re_path(r"^tools/search[/]?$", tool_views.ToolSearchView.as_view(), name="api-tool-search"),
    re_path(
        AGENT + r"/tools/(?P<tool_name>[^/]+)/run[/]?$", tool_run_views.run_agent_tool_view, name="api-agent-tool-run"
    ),
    re_path(AGENT + r"/tools[/]?$", tool_views.AgentToolListView.as_view(), name="api-agent-tools"),
    re_path(
        AGENT + r"/tools/(?P<action>attach|detach)/(?P<tool_id>[^/]+)[/]?$",
        tool_views.AgentToolAttachView.as_view(),
        name="api-agent-tool-attach",
    ),
    re_path(
        AGENT + r"/tools/approval/(?P<tool_name>[^/]+)[/]?$",
        tool_views.AgentToolApprovalView.as_view(),
        name="api-agent-tool-approval",
    ),
    re_path(r"^blocks[/]?$", block_views.BlockListView.as_view(), name="api-blocks"),
    re_path(r"^blocks/count[/]?$", block_views.BlockCountView.as_view(), name="api-block-count"),
    re_path(r"^blocks/(?P<block_id>[^/]+)[/]?$", block_views.BlockDetailView.as_view(), name="api-block"),
    re_path(
        r"^blocks/(?P<block_id>[^/]+)/agents[/]?$", block_views.BlockAgentListView.as_view(), name="api-block-agents"
    ),
    re_path(
        r"^blocks/(?P<block_id>[^/]+)/history[/]?$", block_views.BlockHistoryView.as_view(), name="api-block-history"
    ),
    re_path(
        r"^blocks/(?P<block_id>[^/]+)/history/(?P<version>[^/]+)/restore[/]?$",
        block_views.BlockRestoreView.as_view(),
        name="api-block-restore",
    ),
    re_path(
        AGENT + r"/memory/history[/]?$", block_views.AgentMemoryHistoryView.as_view(), name="api-agent-memory-history"
    ),
    re_path(r"^tags[/]?$", tag_views.TagListView.as_view(), name="api-tags"),
    re_path(r"^messages[/]?$", message_views.MessageListView.as_view(), name="api-messages"),
    re_path(r"^messages/search[/]?$", message_views.MessageSearchView.as_view(), name="api-message-search"),
    re_path(r"^messages/(?P<message_id>[^/]+)[/]?$", message_views.MessageDetailView.as_view(), name="api-message"),
    re_path(r"^passages/search[/]?$", archive_views.PassageSearchView.as_view(), name="api-passage-search"),
    re_path(r"^archives[/]?$", archive_views.ArchiveListView.as_view(), name="api-archives"),
    re_path(r"^archives/(?P<archive_id>[^/]+)[/]?$", archive_views.ArchiveDetailView.as_view(), name="api-archive"),
    re_path(
        r"^archives/(?P<archive_id>[^/]+)/passages[/]?$",
        archive_views.ArchivePassageListView.as_view(),
        name="api-archive-passages",
    ),
    re_path(
        r"^archives/(?P<archive_id>[^/]+)/passages/batch[/]?$",
        archive_views.ArchivePassageBatchView.as_view(),
        name="api-archive-passages-batch",
    ),
    re_path(
        r"^archives/(?P<archive_id>[^/]+)/passages/(?P<passage_id>[^/]+)[/]?$",
        archive_views.ArchivePassageDetailView.as_view(),
        name="api-archive-passage",
    ),
    re_path(
        AGENT + r"/archives/(?P<action>attach|detach)/(?P<archive_id>[^/]+)[/]?$",
        archive_views.AgentArchiveAttachView.as_view(),
        name="api-agent-archive-attach",
    ),
    re_path(r"^groups[/]?$", group_views.GroupListView.as_view(), name="api-groups"),
    re_path(r"^groups/count[/]?$", group_views.GroupCountView.as_view(), name="api-group-count"),
    re_path(r"^groups/(?P<group_id>[^/]+)[/]?$", group_views.GroupDetailView.as_view(), name="api-group"),
    re_path(AGENT + r"/groups[/]?$", group_views.AgentGroupListView.as_view(), name="api-agent-groups"),
    *MCP_ROUTES,
    *CONVERSATION_ROUTES,
    # The OpenAPI schema and its Swagger UI page, readable without a key (routes described in agents/api/schema.py).
    re_path(r"^openapi\.json$", SpectacularJSONAPIView.as_view(), name="api-schema"),
    # Swagger UI starts with an inline script: its own Content-Security-Policy (settings.API_DOCS_CSP).
    re_path(
        r"^docs[/]?$",
        csp_override(settings.API_DOCS_CSP)(SpectacularSwaggerView.as_view(url_name="api-schema")),
        name="api-docs",
    ),
    *[re_path(pattern, _not_implemented(what)) for pattern, what in NOT_IMPLEMENTED],
    re_path(r"^(?P<path>.*)$", not_found),
]
