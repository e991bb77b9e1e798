"""The wire shapes of the agents API, as `letta-client` 1.12 parses them (its `types/` are the contract).

Requests are validated with DRF serializers (unknown fields are ignored, as Letta's server ignores them).
Each response body is one ResponseSerializer that both renders it and documents it in the OpenAPI schema; the
functions the views call (`block_data`, `agent_state`, ...) render with a shared instance. `llm_config()` and
`embedding_config()` stay functions (the agent-file exporter calls them too), documented by LlmConfigSerializer
and EmbeddingConfigSerializer.
"""

import copy
import inspect
from functools import cached_property

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from agents.model_settings import agent_fields
from agents.models import MAX_STEPS, Agent, AgentType, Run
from agents.providers import EMBEDDING_CHUNK_SIZE, ModelConfig, describe, embedding_dim_for
from agents.secrets import MAX_NAME_CHARS, SECRET_MASK, shown
from memory.models import CORE_MEMORY_BLOCK_CHAR_LIMIT, Block
from tools.models import Tool

# ----------------------------------------------------------------------------------------------- requests

# The largest value an integer column holds on every database Django supports (PositiveIntegerField): a larger
# limit is refused here (422) instead of failing when it is saved.
MAX_STORED_INT = 2_147_483_647


def stored_positive_int() -> serializers.IntegerField:
    """An optional positive integer that is saved on a model, so no larger than its column holds."""
    return serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=MAX_STORED_INT)


def secrets_field() -> serializers.DictField:
    """An agent's `secrets` as sent on create or update (agents/secrets.py says what the names may be)."""
    return serializers.DictField(
        child=serializers.CharField(allow_blank=True),
        required=False,
        allow_null=True,
        help_text="Environment variables of the agent's custom tools. A new name must be an environment variable's "
        f"(letters, digits and _, not starting with a digit; at most {MAX_NAME_CHARS} characters). A value sent as "
        f"'{SECRET_MASK}' keeps the stored one; names left out are removed.",
    )


class CreateBlockSerializer(serializers.Serializer):
    label = serializers.CharField()
    value = serializers.CharField(allow_blank=True, trim_whitespace=False)
    description = serializers.CharField(required=False, allow_null=True, allow_blank=True)
    limit = stored_positive_int()
    read_only = serializers.BooleanField(required=False, default=False)
    metadata = serializers.DictField(required=False, allow_null=True)
    tags = serializers.ListField(child=serializers.CharField(), required=False, allow_null=True)
    hidden = serializers.BooleanField(required=False, allow_null=True)

    def validate(self, attrs):
        # The service treats None as "default"; a key sent as null must not reach it as an explicit value.
        return {k: v for k, v in attrs.items() if v is not None}


class LLMConfigSerializer(serializers.Serializer):
    """The deprecated `llm_config` input, still sent by older code instead of `model`."""

    model = serializers.CharField()
    model_endpoint_type = serializers.CharField(required=False)
    handle = serializers.CharField(required=False, allow_null=True)
    context_window = stored_positive_int()
    temperature = serializers.FloatField(required=False, allow_null=True)
    max_tokens = stored_positive_int()


class EmbeddingConfigSerializer(serializers.Serializer):
    """The deprecated `embedding_config` input, still sent by older code instead of `embedding`."""

    embedding_model = serializers.CharField()
    embedding_endpoint_type = serializers.CharField(required=False)
    handle = serializers.CharField(required=False, allow_null=True)


class ModelSettingsInput(serializers.Serializer):
    """Letta's `model_settings` as sent: the keys this server applies (agents/model_settings.py) are checked, the
    others kept as sent."""

    temperature = serializers.FloatField(required=False, allow_null=True, min_value=0, max_value=2)
    max_output_tokens = stored_positive_int()
    parallel_tool_calls = serializers.BooleanField(required=False, allow_null=True)

    def to_internal_value(self, data):
        checked = super().to_internal_value(data)
        return {**data, **checked}


def fold_model_fields(attrs: dict) -> dict:
    """Fold what older and newer clients send besides the agent's own fields into them: the deprecated `llm_config`,
    `embedding_config` and `tool_exec_environment_variables`, and `model_settings`. A field sent itself wins."""
    given = {}
    if llm_config := attrs.pop("llm_config", None):
        given["model"] = llm_config.get("handle") or (
            f"{llm_config.get('model_endpoint_type', 'openai')}/{llm_config['model']}"
        )
        for ours, theirs in (
            ("context_window_limit", "context_window"),
            ("temperature", "temperature"),
            ("max_tokens", "max_tokens"),
        ):
            if llm_config.get(theirs) is not None:
                given[ours] = llm_config[theirs]
    if embedding_config := attrs.pop("embedding_config", None):
        given["embedding"] = embedding_config.get("handle") or (
            f"{embedding_config.get('embedding_endpoint_type', 'openai')}/{embedding_config['embedding_model']}"
        )
    given |= agent_fields(attrs.pop("model_settings", None))
    if (legacy := attrs.pop("tool_exec_environment_variables", None)) is not None:
        given["secrets"] = legacy  # Letta's deprecated name for `secrets`
    for name, value in given.items():
        if attrs.get(name) is None:
            attrs[name] = value
    return attrs


class CreateAgentSerializer(serializers.Serializer):
    name = serializers.CharField(required=False, max_length=200)
    description = serializers.CharField(required=False, allow_null=True, allow_blank=True)
    agent_type = serializers.ChoiceField(choices=AgentType.values, required=False, default=AgentType.LETTA_V1)
    model = serializers.CharField(required=False, allow_null=True)
    llm_config = LLMConfigSerializer(required=False, allow_null=True)
    embedding = serializers.CharField(required=False, allow_null=True)
    system = serializers.CharField(required=False, allow_null=True, allow_blank=True, trim_whitespace=False)
    memory_blocks = CreateBlockSerializer(many=True, required=False, allow_null=True)
    block_ids = serializers.ListField(child=serializers.CharField(), required=False, allow_null=True)
    tools = serializers.ListField(child=serializers.CharField(), required=False, allow_null=True)
    tool_ids = serializers.ListField(child=serializers.CharField(), required=False, allow_null=True)
    include_base_tools = serializers.BooleanField(required=False, default=True)
    tool_rules = serializers.ListField(child=serializers.DictField(), required=False, allow_null=True)
    tags = serializers.ListField(child=serializers.CharField(), required=False, allow_null=True)
    metadata = serializers.DictField(required=False, allow_null=True)
    context_window_limit = stored_positive_int()
    temperature = serializers.FloatField(required=False, allow_null=True)
    max_tokens = stored_positive_int()
    parallel_tool_calls = serializers.BooleanField(required=False, allow_null=True)
    timezone = serializers.CharField(required=False, allow_null=True)
    secrets = secrets_field()
    tool_exec_environment_variables = serializers.DictField(
        child=serializers.CharField(allow_blank=True), required=False, allow_null=True
    )
    compaction_settings = serializers.DictField(required=False, allow_null=True)
    model_settings = ModelSettingsInput(required=False, allow_null=True)
    embedding_config = EmbeddingConfigSerializer(required=False, allow_null=True)
    enable_sleeptime = serializers.BooleanField(required=False, allow_null=True)  # see agents/sleeptime.py
    message_buffer_autoclear = serializers.BooleanField(required=False, allow_null=True)
    include_base_tool_rules = serializers.BooleanField(required=False, allow_null=True)
    initial_message_sequence = serializers.ListField(child=serializers.DictField(), required=False, allow_null=True)

    def validate(self, attrs):
        fold_model_fields(attrs)
        if attrs.get("system") is None:
            attrs.pop("system", None)
        if attrs.get("timezone") is None:
            attrs.pop("timezone", None)
        attrs["parallel_tool_calls"] = bool(attrs.get("parallel_tool_calls"))
        return attrs


class UpdateAgentSerializer(serializers.Serializer):
    name = serializers.CharField(required=False, max_length=200)
    description = serializers.CharField(required=False, allow_null=True, allow_blank=True)
    system = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    model = serializers.CharField(required=False)
    embedding = serializers.CharField(required=False, allow_null=True)
    tool_rules = serializers.ListField(child=serializers.DictField(), required=False, allow_null=True)
    tags = serializers.ListField(child=serializers.CharField(), required=False, allow_null=True)
    metadata = serializers.DictField(required=False, allow_null=True)
    context_window_limit = stored_positive_int()
    temperature = serializers.FloatField(required=False)
    max_tokens = stored_positive_int()
    parallel_tool_calls = serializers.BooleanField(required=False)
    timezone = serializers.CharField(required=False)
    message_buffer_autoclear = serializers.BooleanField(required=False)
    secrets = secrets_field()
    tool_exec_environment_variables = serializers.DictField(
        child=serializers.CharField(allow_blank=True), required=False, allow_null=True
    )
    compaction_settings = serializers.DictField(required=False, allow_null=True)
    enable_sleeptime = serializers.BooleanField(required=False, allow_null=True)  # see agents/sleeptime.py
    llm_config = LLMConfigSerializer(required=False, allow_null=True)
    model_settings = ModelSettingsInput(required=False, allow_null=True)
    embedding_config = EmbeddingConfigSerializer(required=False, allow_null=True)
    # Each replaces the agent's whole set, as in Letta; the attach/detach routes change one at a time.
    block_ids = serializers.ListField(child=serializers.CharField(), required=False, allow_null=True)
    tool_ids = serializers.ListField(child=serializers.CharField(), required=False, allow_null=True)

    def validate(self, attrs):
        fold_model_fields(attrs)
        # A list sent as null leaves the agent's set as it is (an empty list empties it).
        return {name: value for name, value in attrs.items() if value is not None or name not in _SETS}


_SETS = ("block_ids", "tool_ids")


class BlockUpdateSerializer(serializers.Serializer):
    """BlockUpdate: every field optional; only the ones sent change (None resets, as in memory.services)."""

    value = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    label = serializers.CharField(required=False)
    description = serializers.CharField(required=False, allow_null=True, allow_blank=True)
    limit = stored_positive_int()
    read_only = serializers.BooleanField(required=False)
    metadata = serializers.DictField(required=False, allow_null=True)
    tags = serializers.ListField(child=serializers.CharField(), required=False, allow_null=True)
    hidden = serializers.BooleanField(required=False)


class ListQuerySerializer(serializers.Serializer):
    """Cursor pagination shared by every list: ids as cursors, `after`/`before` relative to `order`."""

    before = serializers.CharField(required=False, allow_blank=True)
    after = serializers.CharField(required=False, allow_blank=True)
    limit = serializers.IntegerField(required=False, min_value=1, max_value=1000)
    order = serializers.ChoiceField(choices=["asc", "desc"], required=False, default="desc")


class AgentListQuerySerializer(ListQuerySerializer):
    name = serializers.CharField(required=False)
    query_text = serializers.CharField(required=False)
    match_all_tags = serializers.BooleanField(required=False, default=False)
    created_by_id = serializers.CharField(required=False)
    last_stop_reason = serializers.CharField(required=False)
    identity_id = serializers.CharField(required=False)
    template_id = serializers.CharField(required=False)
    base_template_id = serializers.CharField(required=False)
    order_by = serializers.ChoiceField(choices=["created_at", "updated_at", "last_run_completion"], required=False)
    # Legacy spellings: `sort_by` for order_by, `ascending` for order.
    sort_by = serializers.ChoiceField(choices=["created_at", "updated_at", "last_run_completion"], required=False)
    ascending = serializers.BooleanField(required=False, allow_null=True, default=None)

    def validate(self, attrs):
        attrs["order_by"] = attrs.get("order_by") or attrs.pop("sort_by", None) or "created_at"
        ascending = attrs.pop("ascending", None)
        if ascending is not None and "order" not in self.initial_data:
            attrs["order"] = "asc" if ascending else "desc"
        return attrs


class MessageListQuerySerializer(ListQuerySerializer):
    include_err = serializers.BooleanField(required=False, allow_null=True, default=None)


class ClientSkillSerializer(serializers.Serializer):
    """A skill the client has (Letta Code finds them on the user's machine), shown to the model for one request."""

    name = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="", max_length=5_000)
    location = serializers.CharField(required=False, allow_blank=True, default="", max_length=2_000)


class LettaRequestSerializer(serializers.Serializer):
    """LettaRequest (and LettaStreamingRequest's flags, which this server refuses for now)."""

    messages = serializers.ListField(child=serializers.DictField(), required=False, allow_null=True)
    # A string, or a list of content parts for one user message.
    input = serializers.JSONField(required=False, allow_null=True)
    max_steps = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=MAX_STEPS,
        default=None,
        help_text="The most steps this run may take. Default: the agent's max_steps (set in the ADE), else 50.",
    )
    client_tools = serializers.ListField(child=serializers.DictField(), required=False, allow_null=True)
    client_skills = serializers.ListField(
        child=ClientSkillSerializer(),
        required=False,
        allow_null=True,
        max_length=500,
        help_text="Skills listed in the system prompt's <available_skills> for this request only (not stored).",
    )
    override_model = serializers.CharField(
        required=False,
        allow_null=True,
        allow_blank=True,
        help_text="A model handle this request uses instead of the agent's; the agent keeps its own.",
    )
    override_system = serializers.CharField(
        required=False,
        allow_null=True,
        allow_blank=True,
        trim_whitespace=False,
        help_text="A system prompt this request sends instead of the agent's compiled one; the agent keeps its own.",
    )
    include_compaction_messages = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Show a compaction during this run as an event_message and a summary_message in the response.",
    )
    include_return_message_types = serializers.ListField(child=serializers.CharField(), required=False, allow_null=True)
    streaming = serializers.BooleanField(required=False, default=False)
    stream_tokens = serializers.BooleanField(required=False, default=False)
    background = serializers.BooleanField(required=False, default=False)
    # Not in Letta's LettaRequest: while another run holds the agent, queue behind it instead of the 409.
    wait = serializers.BooleanField(
        required=False,
        default=False,
        help_text="If the agent is busy with another run, wait for it to end and then run, instead of answering "
        "409. Pass it with the SDK as extra_body={'wait': True}.",
    )

    def validate(self, attrs):
        has_messages, has_input = bool(attrs.get("messages")), attrs.get("input") not in (None, "", [])
        if has_messages == has_input:
            raise serializers.ValidationError("Send either 'messages' (a list) or 'input', exactly one of them.")
        raw = attrs.get("input")
        if raw is not None and not isinstance(raw, (str, list)):
            raise serializers.ValidationError({"input": "Must be a string or a list of content parts."})
        if isinstance(raw, list):
            # Sugar for one user message with these parts.
            attrs["messages"], attrs["input"] = [{"role": "user", "content": raw}], None
        if not attrs["streaming"] and (attrs["stream_tokens"] or attrs["background"]):
            raise serializers.ValidationError("stream_tokens and background need streaming=true.")
        return attrs


# ----------------------------------------------------------------------------------------------- responses


def _iso(value):
    return value.isoformat() if value else None


def model_config(agent: Agent) -> ModelConfig:
    """What the agent's model handle means, for showing (see `agents.providers.describe`)."""
    return describe(agent.model, agent.organization_id, context_window_limit=agent.context_window_limit)


def llm_config(agent: Agent, config: ModelConfig | None = None) -> dict:
    config = config or model_config(agent)
    return {
        "model": config.model,
        "display_name": config.model,
        "model_endpoint_type": config.provider.model_endpoint_type,
        "model_endpoint": config.provider.base_url,
        "provider_name": config.provider.name,
        "handle": agent.model,
        "context_window": config.context_window,
        "temperature": agent.temperature,
        "max_tokens": agent.max_tokens,
        "parallel_tool_calls": agent.parallel_tool_calls,
        "put_inner_thoughts_in_kwargs": False,
        "enable_reasoner": False,
    }


def embedding_config(agent: Agent) -> dict | None:
    if not agent.embedding:
        return None
    config = describe(agent.embedding, agent.organization_id)
    return {
        "embedding_endpoint_type": config.provider.embedding_endpoint_type,
        "embedding_endpoint": config.provider.base_url,
        "embedding_model": config.model,
        "embedding_dim": embedding_dim_for(config.model),
        "embedding_chunk_size": EMBEDDING_CHUNK_SIZE,
        "handle": agent.embedding,
    }


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

# Several shapes have a `status` field: SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"] names each enum.
RUN_STATUSES = ["created", "running", "completed", "failed", "cancelled"]
STEP_STATUSES = ["pending", "success", "failed", "cancelled"]
TOOL_RESULT_STATUSES = ["success", "error"]


class Documented(serializers.Field):
    """A field rendered by its own rule and documented in the schema as the field `schema` (see
    `schema_generator.DocumentedField`)."""

    def __init__(self, schema: serializers.Field, **kwargs):
        self.schema = schema
        super().__init__(source="*", **kwargs)


class Always(Documented):
    """A field every body carries with the same value: a Letta feature this server does not have (`sources`,
    `identities`), or a value that cannot differ here (`hidden`). Also the placeholder of a documented field that
    the serializer's `to_representation` fills in itself (AgentState's `llm_config`, `model_settings`, `memory`)."""

    def __init__(self, value, schema: serializers.Field, **kwargs):
        self.value = value
        super().__init__(schema, read_only=True, **kwargs)

    def to_representation(self, instance):
        return copy.copy(self.value)


class OnRequest(Documented):
    """A field sent only when the request asks for it (the serializer's `_readable_fields` decides), so optional
    in the schema; its value is the serializer's `get_<name>(instance)`, as for a SerializerMethodField."""

    def __init__(self, schema: serializers.Field, **kwargs):
        super().__init__(schema, required=False, **kwargs)

    def to_representation(self, instance):
        return getattr(self.parent, f"get_{self.field_name}")(instance)


class IsoDateTimeField(serializers.DateTimeField):
    """A timestamp as Python's `isoformat()` writes it (`+00:00`, where DRF's DateTimeField writes `Z`)."""

    def to_representation(self, value):
        return value.isoformat() if value else None


class BlankAsNullCharField(serializers.CharField):
    """A text column stored as "" when unset, answered as null."""

    def to_representation(self, value):
        return value or None


def nullable(field_class, **kwargs):
    """A field that may be null."""
    return field_class(allow_null=True, required=False, **kwargs)


# (A comment, not a docstring: drf-spectacular would show a base class's docstring on every subclass.)
# A response body: the one declaration that both renders it and documents it in the OpenAPI schema, so the
# two cannot drift apart. Read-only; render with `to_representation(obj)` on a shared instance (constructing a
# serializer deep-copies its fields).
#
# A field whose value is one attribute passed through as stored (strings, numbers, booleans, JSON columns) is
# read with a plain getattr; DRF's generic path (a Mapping check, a signature inspection of every attribute to
# see whether to call it, coercion) costs several microseconds a field, which made rendering a page of agents
# three times slower. Every other field (nested serializers, method fields, timestamps) is rendered by its own
# `to_representation`, from its source read the same plain way (a method at the end, `blocks.all`, is called).
class ResponseSerializer(serializers.Serializer):
    PASSED_THROUGH = (
        serializers.CharField,
        serializers.IntegerField,
        serializers.FloatField,
        serializers.BooleanField,
        serializers.ChoiceField,
        serializers.DictField,
        serializers.ListField,
        serializers.JSONField,
    )

    @cached_property
    def _plan(self) -> list[tuple[str, bool, tuple[str, ...], serializers.Field]]:
        """(key, passed through?, source attributes, field) for each field rendered, in declaration order."""
        return [
            (
                field.field_name,
                type(field) in self.PASSED_THROUGH and len(field.source_attrs) == 1,
                tuple(field.source_attrs),
                field,
            )
            for field in self._readable_fields
        ]

    def to_representation(self, instance) -> dict:
        data = {}
        for key, passed_through, attributes, field in self._plan:
            if passed_through:
                data[key] = getattr(instance, attributes[0])
                continue
            value = instance
            for attribute in attributes:  # `blocks.all`: a related manager's method, called; `*`: the instance
                value = getattr(value, attribute) if value is not None else None
            if inspect.ismethod(value):
                value = value()
            data[key] = None if value is None else field.to_representation(value)
        return data


class BlockSerializer(ResponseSerializer):
    id = serializers.CharField()
    label = serializers.CharField()
    value = serializers.CharField()
    limit = serializers.SerializerMethodField(help_text="Maximum length of `value`, in characters.")
    description = nullable(serializers.CharField)
    read_only = serializers.BooleanField()
    metadata = nullable(serializers.DictField)
    tags = nullable(serializers.ListField, child=serializers.CharField())
    hidden = nullable(serializers.BooleanField)
    is_template = serializers.BooleanField()
    created_by_id = nullable(serializers.CharField)
    last_updated_by_id = nullable(serializers.CharField)

    @extend_schema_field(int)
    def get_limit(self, block: Block) -> int:
        return block.limit if block.limit is not None else CORE_MEMORY_BLOCK_CHAR_LIMIT


class ToolSerializer(ResponseSerializer):
    id = serializers.CharField()
    name = serializers.CharField()
    tool_type = serializers.CharField()
    description = nullable(serializers.CharField)
    source_type = nullable(serializers.CharField)
    source_code = nullable(serializers.CharField)
    json_schema = nullable(serializers.DictField)
    args_json_schema = nullable(serializers.DictField)
    tags = serializers.ListField(child=serializers.CharField())
    return_char_limit = serializers.IntegerField()
    pip_requirements = nullable(serializers.ListField, child=serializers.DictField())
    npm_requirements = nullable(serializers.ListField, child=serializers.DictField())
    default_requires_approval = nullable(serializers.BooleanField)
    enable_parallel_execution = nullable(serializers.BooleanField)
    metadata_ = nullable(serializers.DictField, source="metadata")
    created_by_id = nullable(serializers.CharField)
    last_updated_by_id = nullable(serializers.CharField)


class LlmConfigSerializer(ResponseSerializer):
    """What `llm_config(agent)` answers; rendered by that function, declared here for the schema."""

    model = serializers.CharField()
    display_name = nullable(serializers.CharField)
    model_endpoint_type = serializers.CharField()
    model_endpoint = nullable(serializers.CharField)
    provider_name = nullable(serializers.CharField)
    handle = nullable(serializers.CharField, help_text="`provider/model`, the form `model` takes on create.")
    context_window = serializers.IntegerField()
    temperature = nullable(serializers.FloatField)
    max_tokens = nullable(serializers.IntegerField)
    parallel_tool_calls = nullable(serializers.BooleanField)
    put_inner_thoughts_in_kwargs = nullable(serializers.BooleanField)
    enable_reasoner = nullable(serializers.BooleanField)


class EmbeddingConfigSerializer(ResponseSerializer):
    """What `embedding_config(agent)` answers; rendered by that function, declared here for the schema."""

    embedding_endpoint_type = serializers.CharField()
    embedding_endpoint = nullable(serializers.CharField)
    embedding_model = serializers.CharField()
    embedding_dim = serializers.IntegerField()
    embedding_chunk_size = nullable(serializers.IntegerField)
    handle = nullable(serializers.CharField)


class ModelSettingsSerializer(ResponseSerializer):
    provider_type = serializers.CharField()
    temperature = nullable(serializers.FloatField)
    max_output_tokens = nullable(serializers.IntegerField, source="max_tokens")
    parallel_tool_calls = nullable(serializers.BooleanField)


class AgentSecretSerializer(ResponseSerializer):
    key = serializers.CharField()
    value = nullable(serializers.CharField)
    agent_id = serializers.CharField()


class MemorySerializer(ResponseSerializer):
    blocks = BlockSerializer(many=True)
    agent_type = nullable(serializers.CharField)
    file_blocks = serializers.ListField(child=serializers.DictField())


class GroupSerializer(ResponseSerializer):
    """Letta's Group; this server keeps groups of the `sleeptime` kind (agents/sleeptime.py)."""

    id = serializers.CharField()
    manager_type = serializers.ChoiceField(
        choices=["round_robin", "supervisor", "dynamic", "sleeptime", "voice_sleeptime", "swarm"]
    )
    agent_ids = serializers.ListField(child=serializers.CharField(), help_text="The sleep-time agent.")
    description = serializers.CharField()
    manager_agent_id = nullable(serializers.CharField, help_text="The primary agent, whose turns are counted.")
    sleeptime_agent_frequency = nullable(serializers.IntegerField)
    turns_counter = nullable(serializers.IntegerField)
    last_processed_message_id = nullable(serializers.CharField)
    shared_block_ids = Always([], serializers.ListField(child=serializers.CharField()))
    termination_token = Always(None, nullable(serializers.CharField))
    max_turns = Always(None, nullable(serializers.IntegerField))
    max_message_buffer_length = Always(None, nullable(serializers.IntegerField))
    min_message_buffer_length = Always(None, nullable(serializers.IntegerField))
    hidden = Always(None, nullable(serializers.BooleanField))
    project_id = Always(None, nullable(serializers.CharField))
    template_id = Always(None, nullable(serializers.CharField))
    base_template_id = Always(None, nullable(serializers.CharField))
    deployment_id = Always(None, nullable(serializers.CharField))


class AgentStateSerializer(ResponseSerializer):
    """AgentState. Blocks and tools are always included (Letta 1.x includes them only on request, but a superset
    parses the same and saves clients a round trip); the fields in ON_REQUEST only when `include=` asks."""

    ON_REQUEST = ("secrets", "pending_approval")

    id = serializers.CharField()
    name = serializers.CharField()
    description = nullable(serializers.CharField)
    agent_type = serializers.ChoiceField(choices=AgentType.values)
    system = serializers.CharField()
    model = nullable(serializers.CharField)
    embedding = nullable(serializers.CharField)
    # Both filled in by to_representation from one resolution of the agent's model handle.
    llm_config = Always(None, LlmConfigSerializer())
    embedding_config = serializers.SerializerMethodField()
    model_settings = Always(None, nullable(ModelSettingsSerializer))
    blocks = BlockSerializer(many=True, source="blocks.all")
    # Holds the same list as `blocks` (see to_representation).
    memory = Always(None, MemorySerializer())
    tools = ToolSerializer(many=True, source="tools.all")
    sources = Always([], serializers.ListField(child=serializers.DictField()))
    tags = serializers.ListField(child=serializers.CharField())
    metadata = nullable(serializers.DictField)
    tool_rules = nullable(serializers.ListField, child=serializers.DictField())
    message_ids = nullable(serializers.ListField, child=serializers.CharField())
    message_buffer_autoclear = serializers.BooleanField()
    timezone = nullable(serializers.CharField)
    compaction_settings = nullable(
        serializers.DictField, help_text="As set on create or update; null: the server's own compaction settings."
    )
    identities = Always([], serializers.ListField(child=serializers.DictField()))
    last_run_completion = nullable(IsoDateTimeField)
    last_run_duration_ms = nullable(serializers.IntegerField)
    last_stop_reason = nullable(serializers.CharField)
    created_at = nullable(IsoDateTimeField)
    updated_at = nullable(IsoDateTimeField)
    created_by_id = nullable(serializers.CharField)
    last_updated_by_id = nullable(serializers.CharField)
    hidden = Always(False, nullable(serializers.BooleanField))
    enable_sleeptime = serializers.SerializerMethodField(help_text="Whether the agent has a sleep-time agent.")
    managed_group = serializers.SerializerMethodField(help_text="The sleep-time group the agent manages, or null.")
    multi_agent_group = serializers.SerializerMethodField(help_text="Deprecated name of `managed_group`.")
    secrets = OnRequest(AgentSecretSerializer(many=True), help_text="Only with `include=agent.secrets`.")
    pending_approval = nullable(
        serializers.DictField,
        help_text=(
            "Only with `include=agent.pending_approval`: the approval_request_message the agent waits on, or null "
            "(added by `agents.api.views.agent_states`)."
        ),
    )

    @extend_schema_field(EmbeddingConfigSerializer(allow_null=True))
    def get_embedding_config(self, agent: Agent) -> dict | None:
        return embedding_config(agent)

    @extend_schema_field(bool)
    def get_enable_sleeptime(self, agent: Agent) -> bool:
        return agent.sleeptime_group is not None

    @extend_schema_field(GroupSerializer(allow_null=True))
    def get_managed_group(self, agent: Agent) -> dict | None:
        return group_data(group) if (group := agent.sleeptime_group) else None

    @extend_schema_field(GroupSerializer(allow_null=True))
    def get_multi_agent_group(self, agent: Agent) -> dict | None:
        return self.get_managed_group(agent)

    def get_secrets(self, agent: Agent) -> list[dict]:
        return [{"key": k, "value": v, "agent_id": agent.id} for k, v in shown(agent.secrets).items()]

    @property
    def _readable_fields(self):
        wanted = self.context.get("include", ())
        for name, field in self.fields.items():
            if name not in self.ON_REQUEST or name in wanted:
                yield field

    def to_representation(self, agent: Agent) -> dict:
        data = super().to_representation(agent)
        config = model_config(agent)
        data["llm_config"] = llm_config(agent, config)
        data["model_settings"] = {
            "provider_type": config.provider.model_settings_type,
            "temperature": agent.temperature,
            "max_output_tokens": agent.max_tokens,
            "parallel_tool_calls": agent.parallel_tool_calls,
        }
        data["memory"] = {"blocks": data["blocks"], "agent_type": agent.agent_type, "file_blocks": []}
        return data


class RunSerializer(ResponseSerializer):
    id = serializers.CharField()
    agent_id = serializers.CharField()
    conversation_id = nullable(serializers.CharField)
    status = serializers.ChoiceField(choices=RUN_STATUSES)
    stop_reason = nullable(serializers.ChoiceField, choices=STOP_REASONS)
    background = nullable(serializers.BooleanField)
    metadata = nullable(serializers.DictField)
    request_config = nullable(serializers.DictField)
    callback_url = nullable(serializers.CharField)
    callback_sent_at = nullable(IsoDateTimeField)
    callback_status_code = nullable(serializers.IntegerField)
    callback_error = nullable(serializers.CharField)
    created_at = nullable(IsoDateTimeField)
    completed_at = nullable(IsoDateTimeField)
    ttft_ns = nullable(serializers.IntegerField)
    total_duration_ns = nullable(serializers.IntegerField)


# One instance of each, reused: building a serializer copies its declared fields, rendering with one does not.
_BLOCK, _TOOL, _RUN, _GROUP = BlockSerializer(), ToolSerializer(), RunSerializer(), GroupSerializer()
_AGENT_STATE = AgentStateSerializer()
_AGENT_STATE_WITH_SECRETS = AgentStateSerializer(context={"include": {"secrets"}})


def block_data(block: Block) -> dict:
    return _BLOCK.to_representation(block)


def group_data(group) -> dict:
    return _GROUP.to_representation(group)


def tool_data(tool: Tool) -> dict:
    return _TOOL.to_representation(tool)


def agent_state(agent: Agent, *, include_secrets: bool = False) -> dict:
    return (_AGENT_STATE_WITH_SECRETS if include_secrets else _AGENT_STATE).to_representation(agent)


def run_data(run: Run) -> dict:
    return _RUN.to_representation(run)
