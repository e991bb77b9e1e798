"""What every served `/v1` route accepts and answers, for the OpenAPI schema at `/v1/openapi.json`.

One `document()` call per view (DRF class or plain async function, by dotted path), one `op()` per HTTP method:
operation id (stable: clients generate method names from it), summary, request body, query parameters and the
200 body. Tags, path-parameter descriptions and error responses are filled in from the tables at the bottom.
`tests/api/test_openapi.py` fails for any served route missing here. The machinery is in `schema_generator`.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse

from agents.api import schema_shapes as shape
from agents.api import serializers as s
from agents.api.archival_views import PassageCreateSerializer, PassageListSerializer, PassageSearchSerializer
from agents.api.schema_generator import document, op
from agents.api.tool_views import ApprovalSerializer, ToolCreateSerializer, ToolListQuerySerializer


def _list(name: str, description: str, enum=None) -> OpenApiParameter:
    return OpenApiParameter(name, str, many=True, description=description, enum=enum)


DELETED = OpenApiResponse(description="Deleted (the body is `null`).")
SEND_RESPONSES = {
    (200, "application/json"): shape.LettaResponse,
    (200, "text/event-stream"): OpenApiResponse(OpenApiTypes.STR, description=(
        "With `streaming=true`: server-sent events, one LettaMessage (or stop_reason, usage_statistics, ping) "
        "per `data:` line, ending with `data: [DONE]`.")),
    (409, "application/json"): OpenApiResponse(description=(
        "The agent is busy with another run (its id in `run_id`) or waits for a tool approval.")),
}
SEND_EXAMPLES = {
    "Input text": {"input": "Hi, I'm Ada and I like tea."},
    "User message": {"messages": [{"role": "user", "content": "What do you remember about me?"}]},
}
TOOL_EXAMPLES = {"A Python function": {"source_code": (
    'def roll_die(sides: int) -> str:\n    """Roll a die.\n\n    Args:\n        sides: How many sides.\n    """\n'
    '    import random\n    return str(random.randint(1, sides))\n')}}
STREAM_RESPONSES = {key: value for key, value in SEND_RESPONSES.items() if key != (200, "application/json")}

# --- agents ---------------------------------------------------------------------------------------------------
document(
    "agents.api.views.AgentListView",
    get=op("list_agents", "List agents", query=s.AgentListQuerySerializer, response=shape.AgentState(many=True),
           parameters=[_list("tags", "Only agents with these tags (any of them, or all with match_all_tags)."),
                       _list("include", "`agent.secrets` adds the agent's secrets.")]),
    post=op("create_agent", "Create an agent", request=s.CreateAgentSerializer, response=shape.AgentState,
            examples={"With memory blocks": {
                "name": "tea-helper", "model": "openai/gpt-4.1-mini",
                "memory_blocks": [{"label": "human", "value": "Name: unknown", "limit": 2000},
                                  {"label": "persona", "value": "I am a helpful assistant.", "limit": 2000}]}}),
)
document(
    "agents.api.views.AgentDetailView",
    get=op("retrieve_agent", "Retrieve an agent", response=shape.AgentState,
           parameters=[_list("include", "`agent.secrets` adds the agent's secrets.")]),
    patch=op("modify_agent", "Update an agent", request=s.UpdateAgentSerializer, response=shape.AgentState),
    delete=op("delete_agent", "Delete an agent", responses={200: DELETED}),
)
document(
    "agents.api.agent_file_views.AgentExportView",
    get=op("export_agent", "Export an agent as an agent file (.af)", response=OpenApiTypes.OBJECT,
           parameters=[OpenApiParameter("scrub_messages", bool, description="Leave the message history out.")]),
)
document(
    "agents.api.agent_file_views.AgentImportView",
    post=op("import_agent", "Import agents from an agent file (.af)",
            request={"multipart/form-data": shape.ImportAgent}, response=shape.AgentImportFileResponse),
)
document("agents.api.views.ContextView",
         get=op("retrieve_agent_context_window", "The agent's context window, section by section",
                response=shape.ContextWindowOverview))

# --- core memory ------------------------------------------------------------------------------------------------
document("agents.api.views.AgentBlockListView",
         get=op("list_core_memory_blocks", "List the agent's memory blocks", query=s.ListQuerySerializer,
                response=shape.Block(many=True)))
document(
    "agents.api.views.AgentBlockDetailView",
    get=op("retrieve_core_memory_block", "Retrieve a memory block by label", response=shape.Block),
    patch=op("modify_core_memory_block", "Update a memory block by label", request=s.BlockUpdateSerializer,
             response=shape.Block),
)

# --- messages and runs ------------------------------------------------------------------------------------------
document(
    "agents.api.run_views.agent_messages",
    get=op("list_messages", "List the agent's messages", query=s.MessageListQuerySerializer,
           response=shape.LettaMessage(many=True),
           parameters=[_list("include_return_message_types", "Only these message types.", shape.MESSAGE_TYPES)]),
    post=op("send_message", "Send a message and run the agent", request=s.LettaRequestSerializer,
            responses=SEND_RESPONSES, examples={**SEND_EXAMPLES, "Streamed": {"input": "Hi", "streaming": True}}),
)
document("agents.api.run_views.agent_messages_stream",
         post=op("create_agent_message_stream", "Send a message and stream the run as server-sent events",
                 request=s.LettaRequestSerializer, responses=STREAM_RESPONSES, examples=SEND_EXAMPLES))
document("agents.api.views.CancelView",
         post=op("cancel_agent_run", "Cancel the agent's active runs", request=shape.CancelRun,
                 responses={200: OpenApiResponse(OpenApiTypes.OBJECT, description="`{run_id: \"cancelled\"}`"),
                            409: OpenApiResponse(description="The agent has no active run.")}))
document("agents.api.run_views.summarize",
         post=op("summarize_messages", "Compact the agent's context now", request=shape.Compaction,
                 response=shape.CompactionResponse,
                 responses={200: shape.CompactionResponse,
                            400: OpenApiResponse(description="Nothing to compact: the context would not shrink.")}))
document("agents.api.views.RunDetailView", get=op("retrieve_run", "Retrieve a run", response=shape.Run))

# --- archival memory --------------------------------------------------------------------------------------------
document(
    "agents.api.archival_views.ArchivalListView",
    get=op("list_passages", "List archival memory", query=PassageListSerializer, response=shape.Passage(many=True)),
    post=op("create_passage", "Insert into archival memory", request=PassageCreateSerializer,
            response=shape.Passage(many=True), examples={"A fact": {"text": "Ada likes tea.", "tags": ["food"]}}),
)
document("agents.api.archival_views.ArchivalSearchView",
         get=op("search_archival_memory", "Search archival memory", query=PassageSearchSerializer,
                response=shape.PassageSearchResponse))
document("agents.api.archival_views.ArchivalDetailView",
         delete=op("delete_passage", "Delete an archival memory passage", responses={200: DELETED}))

# --- tools and models -------------------------------------------------------------------------------------------
document(
    "agents.api.tool_views.ToolListView",
    get=op("list_tools", "List tools", query=ToolListQuerySerializer, response=shape.Tool(many=True)),
    post=op("create_tool", "Create a tool from Python source", request=ToolCreateSerializer, response=shape.Tool,
            examples=TOOL_EXAMPLES),
    put=op("upsert_tool", "Create or update a tool by name", request=ToolCreateSerializer, response=shape.Tool,
           examples=TOOL_EXAMPLES),
)
document(
    "agents.api.tool_views.ToolDetailView",
    get=op("retrieve_tool", "Retrieve a tool", response=shape.Tool),
    delete=op("delete_tool", "Delete a tool", responses={200: DELETED}),
)
document("agents.api.tool_views.AgentToolListView",
         get=op("list_agent_tools", "List the agent's tools", query=s.ListQuerySerializer,
                response=shape.Tool(many=True)))
document("agents.api.tool_views.AgentToolAttachView",
         patch=op("{action}_tool", "{action} a tool", request=None, response=shape.AgentState))
document("agents.api.tool_views.AgentToolApprovalView",
         patch=op("modify_approval", "Set whether a tool needs approval on this agent", request=ApprovalSerializer,
                  response=shape.AgentState,
                  parameters=[OpenApiParameter("requires_approval", bool, description="Instead of the body.")]))
document("agents.api.run_views.models",
         get=op("list_models", "List the models of the configured providers", response=shape.Model(many=True)))

# --- filled in for every operation ------------------------------------------------------------------------------

# First match wins; otherwise the tag is the path's first segment after /v1 ("agents", "tools", "runs", ...).
TAGS = [
    ("/v1/agents/{agent_id}/core-memory", "memory"),
    ("/v1/agents/{agent_id}/archival-memory", "memory"),
    ("/v1/agents/{agent_id}/messages", "messages"),
    ("/v1/agents/{agent_id}/summarize", "messages"),
    ("/v1/agents/{agent_id}/tools", "tools"),
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
}

# Status -> (applies to (path, operation), description); each answers `{"detail": ...}`.
ERROR_RESPONSES = {
    "401": (lambda path, operation: bool(operation.get("security")), "No or invalid API key."),
    "404": (lambda path, operation: "{" in path, "No such object in the key's organization."),
    "422": (lambda path, operation: "requestBody" in operation
            or any(parameter["in"] == "query" for parameter in operation.get("parameters", [])),
            "The request does not validate; `detail` names each field."),
}
