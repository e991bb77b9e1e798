"""What every served `/v1` route accepts and answers, for the OpenAPI schema at `/v1/openapi.json`.

One `document()` call per view (DRF class or plain async function, by dotted path), one `op()` per HTTP method:
operation id (stable: clients generate method names from it), summary, request body, query parameters and the
200 body. A 200 body is the ResponseSerializer that renders it (so it cannot drift from what is sent), or, for the
bodies still built by plain functions, a shape from `schema_shapes`. Tags, path-parameter descriptions and error
responses are filled in from the tables at the bottom.
`tests/api/test_openapi.py` fails for any served route missing here. The machinery is in `schema_generator`.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse

from agents.api import conversation_serializers as cs
from agents.api import run_serializers as rs
from agents.api import schema_shapes as shape
from agents.api import serializers as s
from agents.api.archival_views import (
    PassageCreateSerializer,
    PassageListSerializer,
    PassageSearchSerializer,
    PassageSerializer,
)
from agents.api.archive_views import (
    ArchiveCreateSerializer,
    ArchiveListQuerySerializer,
    ArchivePassageBatchSerializer,
    ArchivePassageSerializer,
    ArchiveSerializer,
    ArchiveUpdateSerializer,
    OrganizationPassageSearchSerializer,
)
from agents.api.block_views import (
    AgentMemoryHistoryQuerySerializer,
    BlockCreateSerializer,
    BlockHistoryQuerySerializer,
    BlockListQuerySerializer,
    BlockModifySerializer,
    BlockRevisionSerializer,
)
from agents.api.context_views import RecompileQuerySerializer, ResetMessagesSerializer
from agents.api.group_views import GroupListQuerySerializer, GroupUpdateSerializer
from agents.api.mcp_views import (
    MCPRefreshSerializer,
    MCPServerCreateSerializer,
    MCPServerSerializer,
    MCPServerUpdateSerializer,
    MCPToolRunSerializer,
)
from agents.api.message_views import MessageSearchResultSerializer, MessageSearchSerializer
from agents.api.provider_views import (
    ProviderCheckSerializer,
    ProviderCreateSerializer,
    ProviderListQuerySerializer,
    ProviderSerializer,
    ProviderUpdateSerializer,
)
from agents.api.run_views import RunTraceQuerySerializer
from agents.api.schedules import (
    ScheduleCreatedSerializer,
    ScheduleCreateSerializer,
    ScheduledMessageSerializer,
    ScheduleListQuerySerializer,
    ScheduleListSerializer,
)
from agents.api.schema_generator import document, op
from agents.api.tag_views import TagListQuerySerializer
from agents.api.tool_run_views import (
    AgentToolRunSerializer,
    ToolExecutionResultSerializer,
    ToolReturnMessageSerializer,
    ToolRunFromSourceSerializer,
)
from agents.api.tool_views import (
    ApprovalSerializer,
    ToolCreateSerializer,
    ToolListQuerySerializer,
    ToolSearchSerializer,
    ToolUpdateSerializer,
)


def _list(name: str, description: str, enum=None) -> OpenApiParameter:
    return OpenApiParameter(name, str, many=True, description=description, enum=enum)


DELETED = OpenApiResponse(description="Deleted (the body is `null`).")
SEND_RESPONSES = {
    (200, "application/json"): shape.LettaResponse,
    (200, "text/event-stream"): OpenApiResponse(
        # Before OpenAPI 3.2 the schema of an event stream describes one event.
        {
            "type": "object",
            "properties": {"data": {"type": "string", "description": "A JSON object, or `[DONE]` at the end."}},
            "required": ["data"],
        },
        description=(
            "With `streaming=true`: server-sent events, one LettaMessage (or stop_reason, usage_statistics, ping) "
            "per `data:` line, ending with `data: [DONE]`."
        ),
    ),
    (409, "application/json"): OpenApiResponse(
        description=("The agent is busy with another run (its id in `run_id`) or waits for a tool approval.")
    ),
}
SEND_EXAMPLES = {
    "Input text": {"input": "Hi, I'm Ada and I like tea."},
    "User message": {"messages": [{"role": "user", "content": "What do you remember about me?"}]},
}
TOOL_EXAMPLES = {
    "A Python function": {
        "source_code": (
            'def roll_die(sides: int) -> str:\n    """Roll a die.\n\n    Args:\n'
            '        sides: How many sides.\n    """\n'
            "    import random\n    return str(random.randint(1, sides))\n"
        )
    }
}
STREAM_RESPONSES = {key: value for key, value in SEND_RESPONSES.items() if key != (200, "application/json")}
COUNT = OpenApiResponse(OpenApiTypes.INT, description="How many there are, as a bare integer.")
BLOCK_FILTERS = [
    _list("tags", "Only blocks with these tags (any of them, or all with match_all_tags)."),
    OpenApiParameter(
        "connected_to_agents_count_eq",
        int,
        many=True,
        description="Only blocks held by exactly one of these numbers of agents.",
    ),
]
TOOL_FILTERS = [
    _list(name, description)
    for name, description in (
        ("names", "Only tools with these names (repeated, or comma-separated)."),
        ("tool_ids", "Only these tools."),
        ("tool_types", "Only tools of these types (`custom`, `letta_core`, ...)."),
        ("exclude_tool_types", "Not tools of these types."),
    )
]
PROVIDER_ERRORS = {
    502: OpenApiResponse(description="The provider could not be reached."),
    504: OpenApiResponse(description="The provider did not list its models in time."),
}

# --- agents ---------------------------------------------------------------------------------------------------
document(
    "agents.api.views.AgentListView",
    get=op(
        "list_agents",
        "List agents",
        query=s.AgentListQuerySerializer,
        response=s.AgentStateSerializer(many=True),
        parameters=[
            _list("tags", "Only agents with these tags (any of them, or all with match_all_tags)."),
            _list("include", "`agent.secrets` adds the agent's secrets."),
        ],
    ),
    post=op(
        "create_agent",
        "Create an agent",
        request=s.CreateAgentSerializer,
        response=s.AgentStateSerializer,
        examples={
            "With memory blocks": {
                "name": "tea-helper",
                "model": "openai/gpt-4.1-mini",
                "memory_blocks": [
                    {"label": "human", "value": "Name: unknown", "limit": 2000},
                    {"label": "persona", "value": "I am a helpful assistant.", "limit": 2000},
                ],
            }
        },
    ),
)
document(
    "agents.api.views.AgentDetailView",
    get=op(
        "retrieve_agent",
        "Retrieve an agent",
        response=s.AgentStateSerializer,
        parameters=[_list("include", "`agent.secrets` adds the agent's secrets.")],
    ),
    patch=op("modify_agent", "Update an agent", request=s.UpdateAgentSerializer, response=s.AgentStateSerializer),
    delete=op("delete_agent", "Delete an agent", responses={200: DELETED}),
)
document(
    "agents.api.agent_file_views.AgentExportView",
    get=op(
        "export_agent",
        "Export an agent as an agent file (.af)",
        response=OpenApiTypes.OBJECT,
        parameters=[OpenApiParameter("scrub_messages", bool, description="Leave the message history out.")],
    ),
)
document(
    "agents.api.agent_file_views.AgentImportView",
    post=op(
        "import_agent",
        "Import agents from an agent file (.af)",
        request={"multipart/form-data": shape.ImportAgent},
        response=shape.AgentImportFileResponse,
    ),
)
document(
    "agents.api.views.AgentCountView",
    get=op(
        "count_agents",
        "Count agents",
        query=s.AgentListQuerySerializer,
        response=COUNT,
        parameters=[_list("tags", "Only agents with these tags (any of them, or all with match_all_tags).")],
    ),
)
document(
    "agents.api.context_views.ResetMessagesView",
    patch=op(
        "reset_messages",
        "Reset the agent's messages to the system message alone",
        request=ResetMessagesSerializer,
        response=s.AgentStateSerializer,
        responses={
            200: s.AgentStateSerializer,
            409: OpenApiResponse(description="The agent is busy with a run (its id in `run_id`)."),
        },
    ),
)
document(
    "agents.api.context_views.RecompileView",
    post=op(
        "recompile_agent",
        "Recompile the agent's system prompt from its memory",
        query=RecompileQuerySerializer,
        response=OpenApiResponse(OpenApiTypes.STR, description="The system prompt, as a JSON string."),
    ),
)
document(
    "agents.api.context_views.AgentContextView",
    get=op(
        "retrieve_agent_context_window",
        "The agent's context window, section by section",
        response=shape.ContextWindowOverview,
        parameters=[OpenApiParameter("conversation_id", str, description="One of the agent's conversations.")],
    ),
)

# --- core memory ------------------------------------------------------------------------------------------------
document(
    "agents.api.views.AgentBlockListView",
    get=op(
        "list_core_memory_blocks",
        "List the agent's memory blocks",
        query=s.ListQuerySerializer,
        response=s.BlockSerializer(many=True),
    ),
)
document(
    "agents.api.views.AgentBlockDetailView",
    get=op("retrieve_core_memory_block", "Retrieve a memory block by label", response=s.BlockSerializer),
    patch=op(
        "modify_core_memory_block",
        "Update a memory block by label",
        request=s.BlockUpdateSerializer,
        response=s.BlockSerializer,
    ),
)

document(
    "agents.api.block_views.AgentBlockAttachView",
    patch=op(
        "{action}_core_memory_block",
        "{action} a memory block",
        request=None,
        response=s.AgentStateSerializer,
        responses={
            200: s.AgentStateSerializer,
            409: OpenApiResponse(description="The agent already has a block with that label."),
        },
    ),
)

# --- blocks -----------------------------------------------------------------------------------------------------
document(
    "agents.api.block_views.BlockListView",
    get=op(
        "list_blocks",
        "List memory blocks",
        query=BlockListQuerySerializer,
        response=s.BlockSerializer(many=True),
        parameters=BLOCK_FILTERS,
    ),
    post=op(
        "create_block",
        "Create a memory block",
        request=BlockCreateSerializer,
        response=s.BlockSerializer,
        examples={"A shared block": {"label": "project", "value": "Deadline: Friday.", "limit": 2000}},
    ),
)
document(
    "agents.api.block_views.BlockCountView",
    get=op(
        "count_blocks", "Count memory blocks", query=BlockListQuerySerializer, response=COUNT, parameters=BLOCK_FILTERS
    ),
)
document(
    "agents.api.block_views.BlockDetailView",
    get=op("retrieve_block", "Retrieve a memory block", response=s.BlockSerializer),
    patch=op(
        "modify_block",
        "Update a memory block",
        request=BlockModifySerializer,
        response=s.BlockSerializer,
        responses={
            200: s.BlockSerializer,
            409: OpenApiResponse(description="An agent holding it already has a block with that label."),
        },
    ),
    delete=op("delete_block", "Delete a memory block", responses={200: DELETED}),
)
document(
    "agents.api.block_views.BlockAgentListView",
    get=op(
        "list_agents_for_block",
        "List the agents holding a memory block",
        query=s.ListQuerySerializer,
        response=s.AgentStateSerializer(many=True),
    ),
)

document(
    "agents.api.block_views.BlockHistoryView",
    get=op(
        "list_block_history",
        "List a memory block's revisions",
        query=BlockHistoryQuerySerializer,
        response=BlockRevisionSerializer(many=True),
    ),
)
document(
    "agents.api.block_views.BlockRestoreView",
    post=op(
        "restore_block_revision",
        "Restore a memory block's value to an earlier version (as a new revision)",
        request=None,
        response=s.BlockSerializer,
        responses={
            200: s.BlockSerializer,
            400: OpenApiResponse(description="That version's value is over the block's limit now."),
        },
    ),
)
document(
    "agents.api.block_views.AgentMemoryHistoryView",
    get=op(
        "list_agent_memory_history",
        "List the revisions of the agent's memory blocks",
        query=AgentMemoryHistoryQuerySerializer,
        response=BlockRevisionSerializer(many=True),
    ),
)

# --- messages and runs ------------------------------------------------------------------------------------------
document(
    "agents.api.send_views.agent_messages",
    get=op(
        "list_messages",
        "List the agent's messages",
        query=s.MessageListQuerySerializer,
        response=shape.LettaMessage(many=True),
        parameters=[_list("include_return_message_types", "Only these message types.", s.MESSAGE_TYPES)],
    ),
    post=op(
        "send_message",
        "Send a message and run the agent",
        request=s.LettaRequestSerializer,
        responses=SEND_RESPONSES,
        examples={**SEND_EXAMPLES, "Streamed": {"input": "Hi", "streaming": True}},
    ),
)
document(
    "agents.api.send_views.agent_messages_stream",
    post=op(
        "create_agent_message_stream",
        "Send a message and stream the run as server-sent events",
        request=s.LettaRequestSerializer,
        responses=STREAM_RESPONSES,
        examples=SEND_EXAMPLES,
    ),
)
document(
    "agents.api.views.CancelView",
    post=op(
        "cancel_agent_run",
        "Cancel the agent's active runs",
        request=shape.CancelRun,
        responses={
            200: OpenApiResponse(OpenApiTypes.OBJECT, description='`{run_id: "cancelled"}`'),
            409: OpenApiResponse(description="The agent has no active run."),
        },
    ),
)
document(
    "agents.api.send_views.summarize",
    post=op(
        "summarize_messages",
        "Compact the agent's context now",
        request=shape.Compaction,
        response=shape.CompactionResponse,
        responses={
            200: shape.CompactionResponse,
            400: OpenApiResponse(description="Nothing to compact: the context would not shrink."),
        },
    ),
)
document(
    "agents.api.send_views.agent_messages_async",
    post=op(
        "create_agent_message_async",
        "Start a run in the background and answer its Run at once",
        request=rs.LettaAsyncRequestSerializer,
        responses={200: s.RunSerializer, 409: SEND_RESPONSES[(409, "application/json")]},
        examples={**SEND_EXAMPLES, "With a callback": {"input": "Hi", "callback_url": "https://example.com/done"}},
    ),
)
document(
    "agents.api.context_views.MessageDetailView",
    get=op(
        "retrieve_agent_message",
        "Retrieve one stored message of the agent, as the LettaMessages it makes",
        response=shape.LettaMessage(many=True),
    ),
    patch=op(
        "modify_message",
        "Modify a stored message (refused: history is immutable)",
        request=OpenApiTypes.OBJECT,
        responses={
            405: OpenApiResponse(
                description="Stored messages are immutable; `detail` names the "
                "alternatives (edit memory blocks, reset messages)."
            )
        },
    ),
)
document(
    "agents.api.run_views.RunListView",
    get=op(
        "list_runs",
        "List runs",
        query=rs.RunListQuerySerializer,
        response=s.RunSerializer(many=True),
        parameters=[
            _list("agent_ids", "Only runs of these agents."),
            _list("statuses", "Only runs with these statuses.", s.RUN_STATUSES),
        ],
    ),
)
document("agents.api.views.RunDetailView", get=op("retrieve_run", "Retrieve a run", response=s.RunSerializer))
document(
    "agents.api.run_views.RunMessagesView",
    get=op(
        "list_messages_for_run",
        "List the messages a run stored",
        query=s.MessageListQuerySerializer,
        response=shape.LettaMessage(many=True),
        parameters=[_list("include_return_message_types", "Only these message types.", s.MESSAGE_TYPES)],
    ),
)
document(
    "agents.api.run_views.RunStepsView",
    get=op(
        "list_steps_for_run", "List a run's steps", query=s.ListQuerySerializer, response=rs.StepSerializer(many=True)
    ),
)
document(
    "agents.api.run_views.RunUsageView",
    get=op("retrieve_usage_for_run", "A run's token usage", response=rs.RunUsageSerializer),
)
document(
    "agents.api.run_views.RunMetricsView",
    get=op("retrieve_metrics_for_run", "A run's timings", response=rs.RunMetricsSerializer),
)
document(
    "agents.api.run_views.RunTraceView",
    get=op(
        "retrieve_trace_for_run",
        "A run's trace spans",
        query=RunTraceQuerySerializer,
        response=shape.TraceSpan(many=True),
    ),
)
document(
    "agents.api.send_views.run_stream",
    post=op(
        "retrieve_stream_for_run",
        "Resume a background run's stream",
        request=rs.RunStreamSerializer,
        responses={
            (200, "text/event-stream"): STREAM_RESPONSES[(200, "text/event-stream")],
            400: OpenApiResponse(description="The run was not started in the background."),
            410: OpenApiResponse(description="The run ended longer ago than its events are kept (3 h by default)."),
        },
    ),
)
document(
    "agents.api.run_views.StepListView",
    get=op(
        "list_steps",
        "List steps",
        query=rs.StepListQuerySerializer,
        response=rs.StepSerializer(many=True),
        parameters=[_list("tags", "Only steps with any of these tags.")],
    ),
)
document("agents.api.run_views.StepDetailView", get=op("retrieve_step", "Retrieve a step", response=rs.StepSerializer))
document(
    "agents.api.run_views.StepMessagesView",
    get=op(
        "list_messages_for_step",
        "List the messages a step stored",
        query=s.MessageListQuerySerializer,
        response=shape.LettaMessage(many=True),
        parameters=[_list("include_return_message_types", "Only these message types.", s.MESSAGE_TYPES)],
    ),
)
document(
    "agents.api.run_views.StepMetricsView",
    get=op("retrieve_metrics_for_step", "A step's timings", response=rs.StepMetricsSerializer),
)
document(
    "agents.api.run_views.StepTraceView",
    get=op(
        "retrieve_trace_for_step",
        "A step's provider trace: the exact request and response (null when none is kept)",
        response=rs.ProviderTraceSerializer,
    ),
)
document(
    "agents.api.run_views.StepFeedbackView",
    patch=op(
        "modify_feedback_for_step",
        "Give feedback on a step",
        request=rs.FeedbackSerializer,
        response=rs.StepSerializer,
        examples={"Thumbs up": {"feedback": "positive", "tags": ["helpful"]}},
    ),
)

# --- archival memory --------------------------------------------------------------------------------------------
document(
    "agents.api.archival_views.ArchivalListView",
    get=op("list_passages", "List archival memory", query=PassageListSerializer, response=PassageSerializer(many=True)),
    post=op(
        "create_passage",
        "Insert into archival memory",
        request=PassageCreateSerializer,
        response=PassageSerializer(many=True),
        examples={"A fact": {"text": "Ada likes tea.", "tags": ["food"]}},
    ),
)
document(
    "agents.api.archival_views.ArchivalSearchView",
    get=op(
        "search_archival_memory",
        "Search archival memory",
        query=PassageSearchSerializer,
        response=shape.PassageSearchResponse,
    ),
)
document(
    "agents.api.archival_views.ArchivalDetailView",
    delete=op("delete_passage", "Delete an archival memory passage", responses={200: DELETED}),
)

# --- tools and models -------------------------------------------------------------------------------------------
document(
    "agents.api.tool_views.ToolListView",
    get=op(
        "list_tools",
        "List tools",
        query=ToolListQuerySerializer,
        response=s.ToolSerializer(many=True),
        parameters=TOOL_FILTERS,
    ),
    post=op(
        "create_tool",
        "Create a tool from Python source",
        request=ToolCreateSerializer,
        response=s.ToolSerializer,
        examples=TOOL_EXAMPLES,
    ),
    put=op(
        "upsert_tool",
        "Create or update a tool by name",
        request=ToolCreateSerializer,
        response=s.ToolSerializer,
        examples=TOOL_EXAMPLES,
    ),
)
document(
    "agents.api.tool_views.ToolDetailView",
    get=op("retrieve_tool", "Retrieve a tool", response=s.ToolSerializer),
    patch=op("modify_tool", "Update a tool", request=ToolUpdateSerializer, response=s.ToolSerializer),
    delete=op("delete_tool", "Delete a tool", responses={200: DELETED}),
)
document(
    "agents.api.tool_views.ToolCountView",
    get=op("count_tools", "Count tools", query=ToolListQuerySerializer, response=COUNT, parameters=TOOL_FILTERS),
)
document(
    "agents.api.tool_views.ToolSearchView",
    post=op(
        "search_tools",
        "Search tools by words",
        request=ToolSearchSerializer,
        response=shape.ToolSearchResult(many=True),
        examples={"Memory tools": {"query": "memory"}},
    ),
)
document(
    "agents.api.tool_views.BaseToolsView",
    post=op("add_base_tools", "Create the built-in tools", request=None, response=s.ToolSerializer(many=True)),
)
document(
    "agents.api.tool_run_views.run_from_source",
    post=op(
        "run_tool_from_source",
        "Run Python source as a tool, without storing it",
        request=ToolRunFromSourceSerializer,
        response=ToolReturnMessageSerializer,
        examples={"Roll a die": {**TOOL_EXAMPLES["A Python function"], "args": {"sides": 6}}},
    ),
)
document(
    "agents.api.tool_run_views.run_agent_tool_view",
    post=op(
        "run_tool_for_agent",
        "Run one of the agent's tools on the agent",
        request=AgentToolRunSerializer,
        response=ToolExecutionResultSerializer,
        examples={"Insert into memory": {"args": {"label": "human", "new_str": "Likes tea."}}},
    ),
)
document(
    "agents.api.tool_views.AgentToolListView",
    get=op(
        "list_agent_tools", "List the agent's tools", query=s.ListQuerySerializer, response=s.ToolSerializer(many=True)
    ),
)
document(
    "agents.api.tool_views.AgentToolAttachView",
    patch=op("{action}_tool", "{action} a tool", request=None, response=s.AgentStateSerializer),
)
document(
    "agents.api.tool_views.AgentToolApprovalView",
    patch=op(
        "modify_approval",
        "Set whether a tool needs approval on this agent",
        request=ApprovalSerializer,
        response=s.AgentStateSerializer,
        parameters=[OpenApiParameter("requires_approval", bool, description="Instead of the body.")],
    ),
)
document(
    "agents.api.model_views.models",
    get=op("list_models", "List the models of the configured providers", response=shape.Model(many=True)),
)
document(
    "agents.api.model_views.embedding_models",
    get=op(
        "list_embedding_models",
        "List the embedding models of the configured providers",
        response=shape.EmbeddingModel(many=True),
    ),
)

# --- providers --------------------------------------------------------------------------------------------------
document(
    "agents.api.provider_views.ProviderListView",
    get=op(
        "list_providers",
        "List the providers added through the API",
        query=ProviderListQuerySerializer,
        response=ProviderSerializer(many=True),
    ),
    post=op(
        "create_provider",
        "Add an LLM provider",
        request=ProviderCreateSerializer,
        response=ProviderSerializer,
        responses={200: ProviderSerializer, 409: OpenApiResponse(description="A provider has that name already.")},
        examples={
            "A local server": {
                "name": "local",
                "provider_type": "openai_compatible",
                "base_url": "http://127.0.0.1:8000/v1",
            }
        },
    ),
)
document(
    "agents.api.provider_views.ProviderDetailView",
    get=op("retrieve_provider", "Retrieve a provider", response=ProviderSerializer),
    patch=op(
        "modify_provider",
        "Update a provider's credentials or address",
        request=ProviderUpdateSerializer,
        response=ProviderSerializer,
    ),
    delete=op("delete_provider", "Delete a provider", response=shape.MessageResponse),
)
document(
    "agents.api.provider_views.check_new",
    post=op(
        "check_provider",
        "Check credentials before adding a provider",
        request=ProviderCheckSerializer,
        responses={200: shape.MessageResponse, **PROVIDER_ERRORS},
    ),
)
document(
    "agents.api.provider_views.check_existing",
    post=op(
        "check_existing_provider",
        "Check a stored provider's credentials",
        request=None,
        responses={200: shape.MessageResponse, **PROVIDER_ERRORS},
    ),
)

# --- MCP servers ------------------------------------------------------------------------------------------------
MCP_EXAMPLES = {
    "A stdio server": {
        "server_name": "time",
        "config": {"mcp_server_type": "stdio", "command": "mcp-server-time", "args": []},
    },
    "A streamable HTTP server": {
        "server_name": "docs",
        "config": {
            "mcp_server_type": "streamable_http",
            "server_url": "https://example.com/mcp",
            "auth_header": "Authorization",
            "auth_token": "Bearer <token>",
        },
    },
}
document(
    "agents.api.mcp_views.server_list",
    get=op("list_mcp_servers", "List the MCP servers", response=MCPServerSerializer(many=True)),
    post=op(
        "create_mcp_server",
        "Add an MCP server (it is connected to and its tools are added)",
        request=MCPServerCreateSerializer,
        responses={
            200: MCPServerSerializer,
            409: OpenApiResponse(description="An MCP server has that name already."),
            502: OpenApiResponse(description="The server could not be started, reached, or did not answer."),
        },
        examples=MCP_EXAMPLES,
    ),
)
document(
    "agents.api.mcp_views.server_detail",
    get=op("retrieve_mcp_server", "Retrieve an MCP server (secrets masked)", response=MCPServerSerializer),
    patch=op(
        "update_mcp_server",
        "Change an MCP server's name or settings",
        request=MCPServerUpdateSerializer,
        response=MCPServerSerializer,
    ),
    delete=op("delete_mcp_server", "Delete an MCP server and its tools", response=DELETED),
)
document(
    "agents.api.mcp_views.server_refresh",
    patch=op(
        "refresh_mcp_server_tools",
        "Re-read an MCP server's tools (add new, update changed, delete gone)",
        request=None,
        parameters=[OpenApiParameter("agent_id", str, description="Accepted for compatibility; not needed.")],
        responses={
            200: MCPRefreshSerializer,
            502: OpenApiResponse(description="The server could not be started, reached, or did not answer."),
        },
    ),
)
document(
    "agents.api.mcp_views.server_tool_list",
    get=op("list_mcp_tools_by_server", "List an MCP server's tools", response=s.ToolSerializer(many=True)),
)
document(
    "agents.api.mcp_views.server_tool_detail",
    get=op("retrieve_mcp_tool", "Retrieve one of an MCP server's tools", response=s.ToolSerializer),
)
document(
    "agents.api.mcp_views.server_tool_run",
    post=op(
        "run_mcp_tool",
        "Run one of an MCP server's tools (a server that is down answers an error result)",
        request=MCPToolRunSerializer,
        response=ToolExecutionResultSerializer,
        examples={"Current time": {"args": {"timezone": "UTC"}}},
    ),
)

# --- messages across agents, tags ------------------------------------------------------------------------------
document(
    "agents.api.message_views.MessageListView",
    get=op(
        "list_all_messages",
        "List the messages of every agent in the organization",
        query=s.MessageListQuerySerializer,
        response=shape.LettaMessage(many=True),
    ),
)
document(
    "agents.api.message_views.MessageDetailView",
    get=op(
        "retrieve_message",
        "Retrieve one stored message, as the LettaMessages it makes",
        response=shape.LettaMessage(many=True),
    ),
)
document(
    "agents.api.message_views.MessageSearchView",
    post=op(
        "search_all_messages",
        "Full-text search of every agent's messages, best first",
        request=MessageSearchSerializer,
        response=MessageSearchResultSerializer(many=True),
    ),
)
document(
    "agents.api.tag_views.TagListView",
    get=op(
        "list_tags",
        "List the distinct tags of agents and blocks",
        query=TagListQuerySerializer,
        response=OpenApiResponse({"type": "array", "items": {"type": "string"}}, description="The tag names."),
    ),
)

# --- groups (sleep-time) ----------------------------------------------------------------------------------------
document(
    "agents.api.group_views.GroupListView",
    get=op("list_groups", "List groups", query=GroupListQuerySerializer, response=s.GroupSerializer(many=True)),
    post=op(
        "create_group",
        "Refused: a sleep-time group is made by enable_sleeptime on its agent",
        request=GroupUpdateSerializer,
        responses={400: OpenApiResponse(description="Groups are made through the agent's enable_sleeptime.")},
    ),
)
document(
    "agents.api.group_views.GroupCountView",
    get=op("count_groups", "Count groups", response=OpenApiTypes.INT),
)
document(
    "agents.api.group_views.GroupDetailView",
    get=op("retrieve_group", "Retrieve a group", response=s.GroupSerializer),
    patch=op(
        "modify_group",
        "Update a group (description; manager_config.sleeptime_agent_frequency)",
        request=GroupUpdateSerializer,
        response=s.GroupSerializer,
    ),
    delete=op("delete_group", "Delete a group and its sleep-time agent", responses={200: DELETED}),
)
document(
    "agents.api.group_views.AgentGroupListView",
    get=op(
        "list_agent_groups",
        "List the groups an agent manages or takes part in",
        query=GroupListQuerySerializer,
        response=s.GroupSerializer(many=True),
    ),
)

# --- scheduled messages (agents/schedules.py) ---------------------------------------------------------------------
document(
    "agents.api.schedules.ScheduleListView",
    get=op(
        "list_scheduled_messages",
        "List an agent's live scheduled messages",
        query=ScheduleListQuerySerializer,
        response=ScheduleListSerializer,
    ),
    post=op(
        "create_scheduled_message",
        "Schedule messages to an agent, once or on a cron expression (UTC)",
        request=ScheduleCreateSerializer,
        response=ScheduleCreatedSerializer,
    ),
)
document(
    "agents.api.schedules.ScheduleDetailView",
    get=op("retrieve_scheduled_message", "Retrieve a scheduled message", response=ScheduledMessageSerializer),
    delete=op(
        "delete_scheduled_message",
        "Delete (cancel) a scheduled message",
        response=OpenApiResponse(
            {"type": "object", "properties": {"success": {"type": "boolean", "enum": [True]}}, "required": ["success"]},
            description="Deleted: it will not be delivered.",
        ),
    ),
)

# --- archives ---------------------------------------------------------------------------------------------------
document(
    "agents.api.archive_views.PassageSearchView",
    post=op(
        "search_passages",
        "Search archival passages of an agent, an archive or the organization",
        request=OrganizationPassageSearchSerializer,
        response=shape.OrganizationPassageSearchResult(many=True),
    ),
)
document(
    "agents.api.archive_views.ArchiveListView",
    get=op("list_archives", "List archives", query=ArchiveListQuerySerializer, response=ArchiveSerializer(many=True)),
    post=op("create_archive", "Create an archive", request=ArchiveCreateSerializer, response=ArchiveSerializer),
)
document(
    "agents.api.archive_views.ArchiveDetailView",
    get=op("retrieve_archive", "Retrieve an archive", response=ArchiveSerializer),
    patch=op("modify_archive", "Update an archive", request=ArchiveUpdateSerializer, response=ArchiveSerializer),
    delete=op("delete_archive", "Delete an archive and its passages", responses={200: DELETED}),
)
document(
    "agents.api.archive_views.ArchivePassageListView",
    post=op(
        "create_passage_in_archive",
        "Add a passage to an archive",
        request=ArchivePassageSerializer,
        response=PassageSerializer,
    ),
)
document(
    "agents.api.archive_views.ArchivePassageBatchView",
    post=op(
        "create_passages_in_archive",
        "Add several passages to an archive (all or none)",
        request=ArchivePassageBatchSerializer,
        response=PassageSerializer(many=True),
    ),
)
document(
    "agents.api.archive_views.ArchivePassageDetailView",
    delete=op("delete_passage_from_archive", "Delete a passage from an archive", responses={200: DELETED}),
)
document(
    "agents.api.archive_views.AgentArchiveAttachView",
    patch=op(
        "{action}_archive",
        "{action} an archive",
        request=None,
        responses={
            200: OpenApiResponse(description="Done (the body is `null`)."),
            409: OpenApiResponse(description="The agent already has another archive: detach it first."),
        },
    ),
)

# --- conversations ----------------------------------------------------------------------------------------------
THREAD = (
    "The conversation is named by its id, or by `default` with `agent_id` (agent-direct mode: the agent's own "
    "thread), or by the agent's id."
)
document(
    "agents.api.conversation_views.ConversationListView",
    get=op(
        "list_conversations",
        "List conversations (of an agent, or of the organization)",
        query=cs.ConversationListQuerySerializer,
        response=cs.ConversationSerializer(many=True),
    ),
    post=op(
        "create_conversation",
        "Start a conversation (a thread) on an agent",
        query=cs.AgentDirectQuerySerializer,
        request=cs.ConversationCreateSerializer,
        responses={201: cs.ConversationSerializer},
    ),
)
document(
    "agents.api.conversation_views.ConversationDetailView",
    get=op("retrieve_conversation", "Retrieve a conversation", response=cs.ConversationSerializer),
    patch=op(
        "update_conversation",
        "Rename, describe, archive or reconfigure a conversation",
        request=cs.ConversationUpdateSerializer,
        response=cs.ConversationSerializer,
    ),
    delete=op(
        "delete_conversation",
        "Delete a conversation and its messages",
        responses={204: DELETED, 409: OpenApiResponse(description="A run is in progress in it.")},
    ),
)
document(
    "agents.api.conversation_views.conversation_messages",
    get=op(
        "list_conversation_messages",
        "List a conversation's messages",
        description=THREAD,
        query=s.MessageListQuerySerializer,
        response=shape.LettaMessage(many=True),
        parameters=[
            OpenApiParameter("agent_id", str, description="The agent, with the `default` conversation."),
            _list("include_return_message_types", "Only these message types.", s.MESSAGE_TYPES),
        ],
    ),
    post=op(
        "send_conversation_message",
        "Send a message in a conversation (streamed unless `streaming` is false)",
        description=THREAD,
        request=s.LettaRequestSerializer,
        responses=SEND_RESPONSES,
        examples=SEND_EXAMPLES,
    ),
)
document(
    "agents.api.conversation_views.conversation_stream",
    post=op(
        "retrieve_conversation_stream",
        "Resume the stream of a background run of a conversation",
        description=THREAD,
        request=cs.ConversationStreamSerializer,
        responses={(200, "text/event-stream"): STREAM_RESPONSES[(200, "text/event-stream")]},
    ),
)
document(
    "agents.api.conversation_views.ConversationCancelView",
    post=op(
        "cancel_conversation",
        "Cancel a conversation's active run",
        description=THREAD,
        query=cs.AgentDirectQuerySerializer,
        responses={
            200: OpenApiResponse(OpenApiTypes.OBJECT, description='`{run_id: "cancelled"}`'),
            409: OpenApiResponse(description="The conversation has no active run."),
        },
    ),
)
document(
    "agents.api.conversation_views.conversation_compact",
    post=op(
        "compact_conversation",
        "Compact a conversation's context now",
        description=THREAD,
        request=shape.Compaction,
        response=shape.CompactionResponse,
    ),
)
document(
    "agents.api.conversation_views.ConversationRecompileView",
    post=op(
        "recompile_conversation",
        "Recompile a conversation's system prompt",
        description=THREAD,
        query=cs.RecompileQuerySerializer,
        request=cs.AgentDirectQuerySerializer,
        response=OpenApiTypes.STR,
    ),
)
document(
    "agents.api.conversation_views.ConversationForkView",
    post=op(
        "fork_conversation",
        "Fork a conversation: a new one starting with its in-context messages",
        description=THREAD,
        query=cs.ForkQuerySerializer,
        request=None,
        responses={201: cs.ConversationSerializer},
    ),
)

# --- filled in for every operation ------------------------------------------------------------------------------

# First match wins; otherwise the tag is the path's first segment after /v1 ("agents", "tools", "runs", ...).
TAGS = [
    ("/v1/agents/{agent_id}/core-memory", "memory"),
    ("/v1/agents/{agent_id}/memory", "memory"),
    ("/v1/agents/{agent_id}/archival-memory", "memory"),
    ("/v1/agents/{agent_id}/messages", "messages"),
    ("/v1/agents/{agent_id}/summarize", "messages"),
    ("/v1/agents/{agent_id}/tools", "tools"),
    ("/v1/agents/{agent_id}/reset-messages", "messages"),
]


def tag_for(path: str) -> str:
    return next((tag for prefix, tag in TAGS if path.startswith(prefix)), path.split("/")[2])


PATH_PARAMETERS = {
    "agent_id": "The agent's id (`agent-…`).",
    "label": "The memory block's label (`human`, `persona`, ...).",
    "run_id": "The run's id (`run-…`).",
    "passage_id": "The archival passage's id (`passage-…`).",
    "tool_id": "The tool's id (`tool-…`).",
    "tool_name": "The tool's name.",
    "block_id": "The memory block's id (`block-…`).",
    "version": "A version of the memory block (1 is its first value).",
    "message_id": "The stored message's id (`message-…`).",
    "step_id": "The step's id (`step-…`).",
    "provider_id": "The provider's id (`provider-…`).",
    "archive_id": "The archive's id (`archive-…`).",
    "server_id": "The MCP server's id (`mcp_server-…`).",
    "conversation_id": "The conversation's id (`conv-…`), `default` with `agent_id`, or the agent's id.",
    "scheduled_message_id": "The scheduled message's id (`scheduled_message-…`).",
}

# Routes whose 200 body may be `null` (an Optional in letta-client).
NULLABLE_BODIES = {"/v1/steps/{step_id}/trace"}

# Query parameters and bodies that name an object, so answer 404 when it is not in the organization.
NAMED_IN_QUERY = {"after", "before", "agent_id", "archive_id"}
NAMES_IN_BODY = {"/v1/messages/search", "/v1/passages/search"}

# Status -> (applies to (path, operation), description); each answers `{"detail": ...}`.
ERROR_RESPONSES = {
    "401": (lambda path, operation: bool(operation.get("security")), "No or invalid API key."),
    "400": (
        lambda path, operation: "requestBody" in operation,
        "The request is valid but cannot be honoured (a block over its limit, tool source without a function, a "
        "provider type not known, ...); `detail` says why.",
    ),
    "404": (
        lambda path, operation: (
            "{" in path
            or any(parameter["name"] in NAMED_IN_QUERY for parameter in operation.get("parameters", []))
            or path in NAMES_IN_BODY
        ),
        "No such object in the key's organization (an id in the path, a cursor, or an id the request names).",
    ),
    "422": (
        lambda path, operation: (
            "requestBody" in operation
            or any(parameter["in"] == "query" for parameter in operation.get("parameters", []))
        ),
        "The request does not validate; `detail` names each field.",
    ),
}
