"""The wire shapes of the agents API, as `letta-client` 1.12 parses them (its `types/` are the contract).

Requests are validated with DRF serializers (unknown fields are ignored, as Letta's server ignores them).
Responses are built by plain functions: they are read-only projections of models plus computed parts
(llm_config, the LettaMessage fan-out), which a ModelSerializer would only obscure.
"""

from rest_framework import serializers

from agents.models import Agent, AgentType, Run
from agents.providers import EMBEDDING_CHUNK_SIZE, describe, embedding_dim_for
from memory.models import CORE_MEMORY_BLOCK_CHAR_LIMIT, Block
from tools.models import Tool

# ----------------------------------------------------------------------------------------------- requests

# The largest value an integer column holds on every database Django supports (PositiveIntegerField): a larger
# limit is refused here (422) instead of failing when it is saved.
MAX_STORED_INT = 2_147_483_647


def _stored_positive_int() -> serializers.IntegerField:
    """An optional positive integer that is saved on a model, so no larger than its column holds."""
    return serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=MAX_STORED_INT)


class CreateBlockSerializer(serializers.Serializer):
    label = serializers.CharField()
    value = serializers.CharField(allow_blank=True, trim_whitespace=False)
    description = serializers.CharField(required=False, allow_null=True, allow_blank=True)
    limit = _stored_positive_int()
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
    context_window = _stored_positive_int()
    temperature = serializers.FloatField(required=False, allow_null=True)
    max_tokens = _stored_positive_int()


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
    context_window_limit = _stored_positive_int()
    temperature = serializers.FloatField(required=False, allow_null=True)
    max_tokens = _stored_positive_int()
    parallel_tool_calls = serializers.BooleanField(required=False, allow_null=True)
    timezone = serializers.CharField(required=False, allow_null=True)

    def validate(self, attrs):
        llm_config = attrs.pop("llm_config", None)
        if not attrs.get("model") and llm_config:
            attrs["model"] = llm_config.get("handle") or (
                f"{llm_config.get('model_endpoint_type', 'openai')}/{llm_config['model']}"
            )
            for ours, theirs in (
                ("context_window_limit", "context_window"),
                ("temperature", "temperature"),
                ("max_tokens", "max_tokens"),
            ):
                if attrs.get(ours) is None and llm_config.get(theirs) is not None:
                    attrs[ours] = llm_config[theirs]
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
    context_window_limit = _stored_positive_int()
    temperature = serializers.FloatField(required=False)
    max_tokens = _stored_positive_int()
    parallel_tool_calls = serializers.BooleanField(required=False)
    timezone = serializers.CharField(required=False)
    message_buffer_autoclear = serializers.BooleanField(required=False)
    secrets = serializers.DictField(child=serializers.CharField(allow_blank=True), required=False, allow_null=True)


class BlockUpdateSerializer(serializers.Serializer):
    """BlockUpdate: every field optional; only the ones sent change (None resets, as in memory.services)."""

    value = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    label = serializers.CharField(required=False)
    description = serializers.CharField(required=False, allow_null=True, allow_blank=True)
    limit = _stored_positive_int()
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


class LettaRequestSerializer(serializers.Serializer):
    """LettaRequest (and LettaStreamingRequest's flags, which this server refuses for now)."""

    messages = serializers.ListField(child=serializers.DictField(), required=False, allow_null=True)
    # A string, or a list of content parts for one user message.
    input = serializers.JSONField(required=False, allow_null=True)
    max_steps = serializers.IntegerField(required=False, min_value=1, max_value=1000, default=50)
    client_tools = serializers.ListField(child=serializers.DictField(), required=False, allow_null=True)
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


def llm_config(agent: Agent) -> dict:
    config = describe(agent.model, agent.organization_id, context_window_limit=agent.context_window_limit)
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


def block_data(block: Block) -> dict:
    return {
        "id": block.id,
        "label": block.label,
        "value": block.value,
        "limit": block.limit if block.limit is not None else CORE_MEMORY_BLOCK_CHAR_LIMIT,
        "description": block.description,
        "read_only": block.read_only,
        "metadata": block.metadata,
        "tags": block.tags,
        "hidden": block.hidden,
        "is_template": block.is_template,
        "created_by_id": block.created_by_id,
        "last_updated_by_id": block.last_updated_by_id,
    }


def tool_data(tool: Tool) -> dict:
    return {
        "id": tool.id,
        "name": tool.name,
        "tool_type": tool.tool_type,
        "description": tool.description,
        "source_type": tool.source_type,
        "source_code": tool.source_code,
        "json_schema": tool.json_schema,
        "args_json_schema": tool.args_json_schema,
        "tags": tool.tags,
        "return_char_limit": tool.return_char_limit,
        "pip_requirements": tool.pip_requirements,
        "npm_requirements": tool.npm_requirements,
        "default_requires_approval": tool.default_requires_approval,
        "enable_parallel_execution": tool.enable_parallel_execution,
        "metadata_": tool.metadata,
        "created_by_id": tool.created_by_id,
        "last_updated_by_id": tool.last_updated_by_id,
    }


def agent_state(agent: Agent, *, include_secrets: bool = False) -> dict:
    """AgentState. Blocks and tools are always included (Letta 1.x includes them only on request, but a superset
    parses the same and saves clients a round trip); secrets only when asked (`include=agent.secrets`)."""
    blocks = [block_data(b) for b in agent.blocks.all()]
    config = llm_config(agent)
    data = {
        "id": agent.id,
        "name": agent.name,
        "description": agent.description,
        "agent_type": agent.agent_type,
        "system": agent.system,
        "model": agent.model,
        "embedding": agent.embedding,
        "llm_config": config,
        "embedding_config": embedding_config(agent),
        "model_settings": {
            "provider_type": config["model_endpoint_type"],
            "temperature": agent.temperature,
            "max_output_tokens": agent.max_tokens,
            "parallel_tool_calls": agent.parallel_tool_calls,
        },
        "blocks": blocks,
        "memory": {"blocks": blocks, "agent_type": agent.agent_type, "file_blocks": []},
        "tools": [tool_data(t) for t in agent.tools.all()],
        "sources": [],
        "tags": agent.tags,
        "metadata": agent.metadata,
        "tool_rules": agent.tool_rules,
        "message_ids": agent.message_ids,
        "message_buffer_autoclear": agent.message_buffer_autoclear,
        "timezone": agent.timezone,
        "identities": [],
        "last_run_completion": _iso(agent.last_run_completion),
        "last_run_duration_ms": agent.last_run_duration_ms,
        "last_stop_reason": agent.last_stop_reason,
        "created_at": _iso(agent.created_at),
        "updated_at": _iso(agent.updated_at),
        "created_by_id": agent.created_by_id,
        "last_updated_by_id": agent.last_updated_by_id,
        "hidden": False,
    }
    if include_secrets:
        data["secrets"] = [{"key": k, "value": v, "agent_id": agent.id} for k, v in agent.secrets.items()]
    return data


def run_data(run: Run) -> dict:
    return {
        "id": run.id,
        "agent_id": run.agent_id,
        "status": run.status,
        "stop_reason": run.stop_reason,
        "background": run.background,
        "metadata": run.metadata,
        "request_config": run.request_config,
        "callback_url": run.callback_url,
        "callback_sent_at": _iso(run.callback_sent_at),
        "callback_status_code": run.callback_status_code,
        "callback_error": run.callback_error,
        "created_at": _iso(run.created_at),
        "completed_at": _iso(run.completed_at),
        "ttft_ns": run.ttft_ns,
        "total_duration_ns": run.total_duration_ns,
    }
