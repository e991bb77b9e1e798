"""Response bodies as the OpenAPI schema describes them, named after `letta-client`'s types.

Documentation only: the views build their bodies with the plain functions of `agents.api.serializers`, and
these serializers are never used to render. They list the fields the SDK reads; a client meets the same names.
"""

from rest_framework import serializers as f

from agents.models import AgentType

STOP_REASONS = [
    "end_turn",
    "error",
    "llm_api_error",
    "invalid_llm_response",
    "invalid_tool_call",
    "max_steps",
    "max_tokens_exceeded",
    "no_tool_call",
    "tool_rule",
    "cancelled",
    "insufficient_credits",
    "requires_approval",
    "context_window_overflow_in_system_prompt",
]
MESSAGE_TYPES = [
    "system_message",
    "user_message",
    "assistant_message",
    "reasoning_message",
    "hidden_reasoning_message",
    "tool_call_message",
    "tool_return_message",
    "approval_request_message",
    "approval_response_message",
]

# Named in SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]: several shapes have a `status` field.
RUN_STATUSES = ["created", "running", "completed", "failed", "cancelled"]
STEP_STATUSES = ["pending", "success", "failed", "cancelled"]
TOOL_RESULT_STATUSES = ["success", "error"]


def _null(field_class, **kwargs):
    return field_class(allow_null=True, required=False, **kwargs)


class Block(f.Serializer):
    id = f.CharField()
    label = f.CharField()
    value = f.CharField()
    limit = f.IntegerField(help_text="Maximum length of `value`, in characters.")
    description = _null(f.CharField)
    read_only = f.BooleanField()
    metadata = _null(f.DictField)
    tags = _null(f.ListField, child=f.CharField())
    hidden = _null(f.BooleanField)
    is_template = f.BooleanField()
    created_by_id = _null(f.CharField)
    last_updated_by_id = _null(f.CharField)


class Tool(f.Serializer):
    id = f.CharField()
    name = f.CharField()
    tool_type = f.CharField()
    description = _null(f.CharField)
    source_type = _null(f.CharField)
    source_code = _null(f.CharField)
    json_schema = _null(f.DictField)
    args_json_schema = _null(f.DictField)
    tags = f.ListField(child=f.CharField())
    return_char_limit = f.IntegerField()
    pip_requirements = _null(f.ListField, child=f.DictField())
    npm_requirements = _null(f.ListField, child=f.DictField())
    default_requires_approval = _null(f.BooleanField)
    enable_parallel_execution = _null(f.BooleanField)
    metadata_ = _null(f.DictField)
    created_by_id = _null(f.CharField)
    last_updated_by_id = _null(f.CharField)


class LlmConfig(f.Serializer):
    model = f.CharField()
    display_name = _null(f.CharField)
    model_endpoint_type = f.CharField()
    model_endpoint = _null(f.CharField)
    provider_name = _null(f.CharField)
    handle = _null(f.CharField, help_text="`provider/model`, the form `model` takes on create.")
    context_window = f.IntegerField()
    temperature = _null(f.FloatField)
    max_tokens = _null(f.IntegerField)
    parallel_tool_calls = _null(f.BooleanField)
    put_inner_thoughts_in_kwargs = _null(f.BooleanField)
    enable_reasoner = _null(f.BooleanField)


class EmbeddingConfig(f.Serializer):
    embedding_endpoint_type = f.CharField()
    embedding_endpoint = _null(f.CharField)
    embedding_model = f.CharField()
    embedding_dim = f.IntegerField()
    embedding_chunk_size = _null(f.IntegerField)
    handle = _null(f.CharField)


class Memory(f.Serializer):
    blocks = Block(many=True)
    agent_type = _null(f.CharField)
    file_blocks = f.ListField(child=f.DictField())


class AgentSecret(f.Serializer):
    key = f.CharField()
    value = _null(f.CharField)
    agent_id = f.CharField()


class AgentState(f.Serializer):
    id = f.CharField()
    name = f.CharField()
    description = _null(f.CharField)
    agent_type = f.ChoiceField(choices=AgentType.values)
    system = f.CharField()
    model = _null(f.CharField)
    embedding = _null(f.CharField)
    llm_config = LlmConfig()
    embedding_config = EmbeddingConfig(allow_null=True)
    model_settings = _null(f.DictField)
    blocks = Block(many=True)
    memory = Memory()
    tools = Tool(many=True)
    sources = f.ListField(child=f.DictField())
    tags = f.ListField(child=f.CharField())
    metadata = _null(f.DictField)
    tool_rules = _null(f.ListField, child=f.DictField())
    message_ids = _null(f.ListField, child=f.CharField())
    message_buffer_autoclear = f.BooleanField()
    timezone = _null(f.CharField)
    identities = f.ListField(child=f.DictField())
    last_run_completion = _null(f.DateTimeField)
    last_run_duration_ms = _null(f.IntegerField)
    last_stop_reason = _null(f.CharField)
    created_at = _null(f.DateTimeField)
    updated_at = _null(f.DateTimeField)
    created_by_id = _null(f.CharField)
    last_updated_by_id = _null(f.CharField)
    hidden = _null(f.BooleanField)
    secrets = AgentSecret(many=True, required=False, help_text="Only with `include=agent.secrets`.")


class LettaMessage(f.Serializer):
    """One message of the history or of a response. Each `message_type` adds its own fields (`content`,
    `reasoning`, `tool_call`, `tool_return`, ...), as letta-client's message union describes."""

    id = f.CharField()
    date = f.DateTimeField()
    message_type = f.ChoiceField(choices=MESSAGE_TYPES)
    name = _null(f.CharField)
    otid = _null(f.CharField)
    run_id = _null(f.CharField)
    step_id = _null(f.CharField)
    seq_id = _null(f.IntegerField)
    sender_id = _null(f.CharField)
    is_err = _null(f.BooleanField)


class StopReason(f.Serializer):
    message_type = f.ChoiceField(choices=["stop_reason"])
    stop_reason = f.ChoiceField(choices=STOP_REASONS)


class Usage(f.Serializer):
    message_type = f.ChoiceField(choices=["usage_statistics"])
    completion_tokens = _null(f.IntegerField)
    prompt_tokens = _null(f.IntegerField)
    total_tokens = _null(f.IntegerField)
    step_count = _null(f.IntegerField)
    run_ids = _null(f.ListField, child=f.CharField())


class LettaResponse(f.Serializer):
    messages = LettaMessage(many=True)
    stop_reason = StopReason()
    usage = Usage()


class Run(f.Serializer):
    id = f.CharField()
    agent_id = f.CharField()
    status = f.ChoiceField(choices=RUN_STATUSES)
    stop_reason = _null(f.ChoiceField, choices=STOP_REASONS)
    background = _null(f.BooleanField)
    metadata = _null(f.DictField)
    request_config = _null(f.DictField)
    callback_url = _null(f.CharField)
    created_at = _null(f.DateTimeField)
    completed_at = _null(f.DateTimeField)
    ttft_ns = _null(f.IntegerField)
    total_duration_ns = _null(f.IntegerField)


class Passage(f.Serializer):
    id = f.CharField()
    text = f.CharField()
    tags = _null(f.ListField, child=f.CharField())
    metadata = _null(f.DictField)
    archive_id = _null(f.CharField)
    created_at = _null(f.DateTimeField)
    updated_at = _null(f.DateTimeField)
    embedding = _null(f.ListField, child=f.FloatField())
    embedding_config = _null(f.DictField)
    is_deleted = f.BooleanField()


class PassageSearchResult(f.Serializer):
    id = f.CharField()
    content = f.CharField()
    timestamp = f.CharField()
    tags = _null(f.ListField, child=f.CharField())


class PassageSearchResponse(f.Serializer):
    results = PassageSearchResult(many=True)
    count = f.IntegerField()


class OrganizationPassageSearchResult(f.Serializer):
    passage = Passage()
    score = f.FloatField()
    metadata = f.DictField()


class Archive(f.Serializer):
    id = f.CharField()
    name = f.CharField()
    description = _null(f.CharField)
    created_at = _null(f.DateTimeField)
    updated_at = _null(f.DateTimeField)
    created_by_id = _null(f.CharField)
    last_updated_by_id = _null(f.CharField)
    metadata = _null(f.DictField)
    embedding_config = _null(f.DictField)
    vector_db_provider = f.CharField()


class MessageSearchResult(f.Serializer):
    message_type = f.CharField()
    message_id = f.CharField()
    agent_id = f.CharField()
    conversation_id = _null(f.CharField)
    created_at = f.DateTimeField()
    content = _null(f.CharField)


class Model(f.Serializer):
    handle = f.CharField(help_text="`provider/model`: what an agent's `model` takes.")
    name = f.CharField()
    display_name = _null(f.CharField)
    model = f.CharField()
    provider_type = f.CharField()
    provider_name = _null(f.CharField)
    model_endpoint_type = f.CharField()
    model_endpoint = _null(f.CharField)
    context_window = f.IntegerField()
    max_context_window = f.IntegerField()


class ContextWindowOverview(f.Serializer):
    context_window_size_max = f.IntegerField()
    context_window_size_current = f.IntegerField()
    num_messages = f.IntegerField()
    num_archival_memory = f.IntegerField()
    num_recall_memory = f.IntegerField()
    num_tokens_system = f.IntegerField()
    system_prompt = f.CharField()
    num_tokens_core_memory = f.IntegerField()
    core_memory = f.CharField()
    num_tokens_tool_usage_rules = f.IntegerField()
    tool_usage_rules = _null(f.CharField)
    num_tokens_external_memory_summary = f.IntegerField()
    external_memory_summary = _null(f.CharField)
    num_tokens_summary_memory = f.IntegerField()
    summary_memory = _null(f.CharField)
    num_tokens_functions_definitions = f.IntegerField()
    functions_definitions = _null(f.ListField, child=f.DictField())
    num_tokens_messages = f.IntegerField()
    messages = f.ListField(child=f.DictField())


class CompactionResponse(f.Serializer):
    summary = f.CharField()
    num_messages_before = f.IntegerField()
    num_messages_after = f.IntegerField()


class AgentImportFileResponse(f.Serializer):
    agent_ids = f.ListField(child=f.CharField())
    warnings = f.ListField(child=f.CharField())
    over_limit_blocks = f.ListField(
        child=f.DictField(),
        help_text=("Blocks kept over their limit, exactly as the file had them: `{label, chars, limit, block_id}`."),
    )
    id_mappings = f.DictField(child=f.CharField(), help_text="The file's ids -> the ids of the rows they became.")


class Step(f.Serializer):
    id = f.CharField()
    agent_id = _null(f.CharField)
    run_id = _null(f.CharField)
    model = _null(f.CharField)
    model_handle = _null(f.CharField)
    provider_name = _null(f.CharField)
    context_window_limit = _null(f.IntegerField)
    status = _null(f.ChoiceField, choices=STEP_STATUSES)
    stop_reason = _null(f.ChoiceField, choices=STOP_REASONS)
    prompt_tokens = _null(f.IntegerField)
    completion_tokens = _null(f.IntegerField)
    total_tokens = _null(f.IntegerField)
    cached_input_tokens = _null(f.IntegerField)
    reasoning_tokens = _null(f.IntegerField)
    prompt_tokens_details = _null(f.DictField)
    completion_tokens_details = _null(f.DictField)
    error_type = _null(f.CharField)
    error_data = _null(f.DictField)
    feedback = _null(f.ChoiceField, choices=["positive", "negative"])
    tags = _null(f.ListField, child=f.CharField())
    created_at = _null(f.DateTimeField)


class StepMetrics(f.Serializer):
    id = f.CharField()
    agent_id = _null(f.CharField)
    run_id = _null(f.CharField)
    step_start_ns = _null(f.IntegerField)
    llm_request_ns = _null(f.IntegerField)
    tool_execution_ns = _null(f.IntegerField)
    step_ns = _null(f.IntegerField)


class RunMetrics(f.Serializer):
    id = f.CharField()
    agent_id = _null(f.CharField)
    run_start_ns = _null(f.IntegerField)
    run_ns = _null(f.IntegerField)
    num_steps = _null(f.IntegerField)


class RunUsage(f.Serializer):
    prompt_tokens = _null(f.IntegerField)
    completion_tokens = _null(f.IntegerField)
    total_tokens = _null(f.IntegerField)
    prompt_tokens_details = _null(f.DictField, help_text="`{cached_tokens}`")
    completion_tokens_details = _null(f.DictField, help_text="`{reasoning_tokens}`")


class EmbeddingModel(f.Serializer):
    handle = _null(f.CharField, help_text="`provider/model`: what an agent's `embedding` takes.")
    name = f.CharField()
    embedding_model = f.CharField()
    display_name = f.CharField()
    provider_name = f.CharField()
    provider_type = f.CharField()
    embedding_endpoint_type = f.CharField()
    embedding_endpoint = _null(f.CharField)
    embedding_dim = f.IntegerField()
    embedding_chunk_size = _null(f.IntegerField)
    model_type = f.ChoiceField(choices=["embedding"])


class Provider(f.Serializer):
    id = f.CharField()
    name = f.CharField()
    provider_type = f.CharField()
    provider_category = f.ChoiceField(choices=["base", "byok"])
    api_key = _null(f.CharField, help_text="Always null: a stored key is never returned.")
    has_api_key = f.BooleanField()
    access_key = _null(f.CharField, help_text="Always null.")
    base_url = _null(f.CharField)
    api_version = _null(f.CharField)
    region = _null(f.CharField)
    organization_id = _null(f.CharField)
    created_at = _null(f.DateTimeField)
    updated_at = _null(f.DateTimeField)
    last_synced = _null(f.DateTimeField)


class MessageResponse(f.Serializer):
    """`{message}`: what a provider delete or check answers."""

    message = f.CharField()


class ToolSearchResult(f.Serializer):
    tool = Tool()
    combined_score = f.FloatField()
    fts_rank = _null(f.IntegerField)
    vector_rank = _null(f.IntegerField)
    embedded_text = _null(f.CharField)


class ToolExecutionResult(f.Serializer):
    status = f.ChoiceField(choices=TOOL_RESULT_STATUSES)
    func_return = _null(f.JSONField)
    stdout = _null(f.ListField, child=f.CharField())
    stderr = _null(f.ListField, child=f.CharField())
    agent_state = _null(f.DictField)
    sandbox_config_fingerprint = _null(f.CharField)


class ToolReturnMessage(ToolExecutionResult):
    """What `POST /v1/tools/run` answers: Letta's ToolReturnMessage, with ToolExecutionResult's fields beside."""

    id = f.CharField()
    date = f.DateTimeField()
    name = _null(f.CharField)
    message_type = f.ChoiceField(choices=["tool_return_message"])
    tool_call_id = f.CharField()
    tool_return = _null(f.JSONField)


# ----------------------------------------------------------------------------------------------- requests
# Bodies the views read by hand rather than through a serializer.


class CancelRun(f.Serializer):
    run_ids = _null(f.ListField, child=f.CharField(), help_text="Runs to cancel; all active runs when absent.")


class Compaction(f.Serializer):
    compaction_settings = _null(f.DictField, help_text="Accepted and ignored: the server's settings apply.")


class ImportAgent(f.Serializer):
    file = f.FileField(help_text="The agent file (.af, JSON).")
    name = f.CharField(required=False)
    model = f.CharField(required=False)
    embedding = f.CharField(required=False)
    strip_messages = f.BooleanField(required=False, default=False)
    override_existing_tools = f.BooleanField(required=False, default=True)
    append_copy_suffix = f.BooleanField(required=False, default=True)
    secrets = f.CharField(required=False, help_text="A JSON object of secret names to values.")
