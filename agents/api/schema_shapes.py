"""The schema of the bodies that are still built by plain functions or dict literals, not by a serializer.

The resources (AgentState, Block, Tool, Run, Step, Passage, Archive, Provider, ...) are rendered and documented by
one ResponseSerializer each, beside the function that renders them (`agents.api.serializers`, `run_serializers`,
the views modules). What is described here is built elsewhere, for speed or because its shape varies: the
LettaMessage union and LettaResponse on the send path, the context window overview (`agents.context_window`),
the model listings (`agents.providers`), search results assembled in views, and request bodies read by hand.
Each lists exactly the keys its builder sends; the schemathesis test checks answers against it.
"""

from rest_framework import serializers as f

from agents.api.archival_views import PassageSerializer
from agents.api.serializers import MESSAGE_TYPES, STOP_REASONS, ToolSerializer, nullable


class LettaMessage(f.Serializer):
    """One message of the history or of a response. Each `message_type` adds its own fields (`content`,
    `reasoning`, `tool_call`, `tool_return`, ...), as letta-client's message union describes."""

    id = f.CharField()
    date = f.DateTimeField()
    message_type = f.ChoiceField(choices=MESSAGE_TYPES)
    name = nullable(f.CharField)
    otid = nullable(f.CharField)
    run_id = nullable(f.CharField)
    step_id = nullable(f.CharField)
    seq_id = nullable(f.IntegerField)
    sender_id = nullable(f.CharField)
    is_err = nullable(f.BooleanField)


class StopReason(f.Serializer):
    message_type = f.ChoiceField(choices=["stop_reason"])
    stop_reason = f.ChoiceField(choices=STOP_REASONS)


class Usage(f.Serializer):
    message_type = f.ChoiceField(choices=["usage_statistics"])
    completion_tokens = nullable(f.IntegerField)
    prompt_tokens = nullable(f.IntegerField)
    total_tokens = nullable(f.IntegerField)
    cached_input_tokens = nullable(f.IntegerField)
    reasoning_tokens = nullable(f.IntegerField)
    step_count = nullable(f.IntegerField)
    run_ids = nullable(f.ListField, child=f.CharField())


class LettaResponse(f.Serializer):
    messages = LettaMessage(many=True)
    stop_reason = StopReason()
    usage = Usage()


class PassageSearchResult(f.Serializer):
    id = f.CharField()
    content = f.CharField()
    timestamp = f.CharField()
    tags = nullable(f.ListField, child=f.CharField())
    relevance = f.FloatField(help_text="The passage's ranking score, higher first (beyond Letta's shape).")


class PassageSearchResponse(f.Serializer):
    results = PassageSearchResult(many=True)
    count = f.IntegerField()


class OrganizationPassageSearchResult(f.Serializer):
    passage = PassageSerializer()
    score = f.FloatField()
    metadata = f.DictField()


class Model(f.Serializer):
    handle = f.CharField(help_text="`provider/model`: what an agent's `model` takes.")
    name = f.CharField()
    display_name = nullable(f.CharField)
    model = f.CharField()
    provider_type = f.CharField()
    provider_name = nullable(f.CharField)
    model_endpoint_type = f.CharField()
    model_endpoint = nullable(f.CharField)
    context_window = f.IntegerField()
    max_context_window = f.IntegerField()
    compatibility_type = nullable(f.CharField, help_text='"gguf" for a model file llama.cpp serves, else null.')
    context_window_is_guess = f.BooleanField(
        help_text="True when no one described the model's window (not its provider's settings, a known model, "
        "its server): context_window is then LETTA_UNKNOWN_CONTEXT_WINDOW."
    )
    context_window_source = f.ChoiceField(
        choices=["model_setting", "known_model", "server", "provider_default", "guess", "default"],
        help_text="Where context_window comes from, first that says: the provider's setting for the model, a "
        "known model's window, its server, the provider's default, else a guess (OpenAI-compatible servers) or "
        "LETTA_DEFAULT_CONTEXT_WINDOW.",
    )


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
    num_tokens_memory_filesystem = f.IntegerField(help_text="Always 0: this server has no file blocks.")
    memory_filesystem = nullable(f.CharField, help_text="Always null.")
    num_tokens_tool_usage_rules = f.IntegerField()
    tool_usage_rules = nullable(f.CharField)
    num_tokens_directories = f.IntegerField(help_text="Always 0: this server has no folders.")
    directories = nullable(f.CharField, help_text="Always null.")
    num_tokens_external_memory_summary = f.IntegerField()
    external_memory_summary = nullable(f.CharField)
    num_tokens_summary_memory = f.IntegerField()
    summary_memory = nullable(f.CharField)
    num_tokens_functions_definitions = f.IntegerField()
    functions_definitions = nullable(f.ListField, child=f.DictField())
    num_tokens_messages = f.IntegerField()
    messages = f.ListField(child=f.DictField())
    # Beyond Letta's shape, for the ADE.
    conversation_id = f.CharField(
        allow_null=True, help_text="The conversation shown (`?conversation_id=`); null for the agent's own thread."
    )
    token_counts_are_estimates = f.BooleanField(help_text="True when the model has no tiktoken encoding of its own.")
    tokenizer = f.CharField(help_text="The tiktoken encoding the counts were made with.")
    raw_request = f.DictField(help_text="The request body the next step would send to the provider, in its format.")
    last_reported_prompt_tokens = nullable(
        f.IntegerField, help_text="The prompt tokens the provider reported for the agent's last successful step."
    )


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


class EmbeddingModel(f.Serializer):
    handle = nullable(f.CharField, help_text="`provider/model`: what an agent's `embedding` takes.")
    name = f.CharField()
    embedding_model = f.CharField()
    display_name = f.CharField()
    provider_name = f.CharField()
    provider_type = f.CharField()
    embedding_endpoint_type = f.CharField()
    embedding_endpoint = nullable(f.CharField)
    embedding_dim = f.IntegerField()
    embedding_chunk_size = nullable(f.IntegerField)
    model_type = f.ChoiceField(choices=["embedding"])


class MessageResponse(f.Serializer):
    """`{message}`: what a provider delete or check answers."""

    message = f.CharField()


class ToolSearchResult(f.Serializer):
    tool = ToolSerializer()
    combined_score = f.FloatField()
    fts_rank = nullable(f.IntegerField)
    vector_rank = nullable(f.IntegerField)
    embedded_text = nullable(f.CharField)


# ----------------------------------------------------------------------------------------------- requests
# Bodies the views read by hand rather than through a serializer.


class CancelRun(f.Serializer):
    run_ids = nullable(f.ListField, child=f.CharField(), help_text="Runs to cancel; all active runs when absent.")


class Compaction(f.Serializer):
    compaction_settings = nullable(f.DictField, help_text="Accepted and ignored: the server's settings apply.")


class ImportAgent(f.Serializer):
    file = f.FileField(help_text="The agent file (.af, JSON).")
    name = f.CharField(required=False)
    model = f.CharField(required=False)
    embedding = f.CharField(required=False)
    strip_messages = f.BooleanField(required=False, default=False)
    override_existing_tools = f.BooleanField(required=False, default=True)
    append_copy_suffix = f.BooleanField(required=False, default=True)
    secrets = f.CharField(required=False, help_text="A JSON object of secret names to values.")


class TraceSpan(f.Serializer):
    """One span of `GET /v1/runs/{id}/trace` (built by `agents.trace_spans`): the run (`agent_run`), a step
    (`agent_step`), its `time_to_first_token`, a `tool_execution` or a compaction's `summarization`."""

    name = f.ChoiceField(choices=["agent_run", "agent_step", "time_to_first_token", "tool_execution", "summarization"])
    trace_id = f.CharField()
    span_id = f.CharField()
    parent_span_id = nullable(f.CharField)
    start_time = f.DateTimeField()
    end_time = f.DateTimeField()
    start_time_unix_nano = f.IntegerField()
    duration_ns = f.IntegerField()
    duration_ms = f.FloatField()
    status_code = f.ChoiceField(choices=["OK", "ERROR", "UNSET"])
    attributes = f.DictField(help_text="step_id, run_id, tool_name, status, tokens, ... as the span's kind has them.")
