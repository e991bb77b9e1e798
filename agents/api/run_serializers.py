"""Wire shapes of runs and steps beyond the Run itself (`serializers.run_data`): the async send, the list
filters, the resume request, Step, usage and metrics, as `letta-client`'s `types/` parse them. Each response
serializer both renders its body and documents it in the OpenAPI schema."""

from django.db.models import Sum
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from agents import run_selectors
from agents.api.serializers import (
    STEP_STATUSES,
    STOP_REASONS,
    BlankAsNullCharField,
    IsoDateTimeField,
    LettaRequestSerializer,
    ListQuerySerializer,
    ResponseSerializer,
    nullable,
)
from agents.models import ProviderTrace, Run, Step


class LettaAsyncRequestSerializer(LettaRequestSerializer):
    """`POST /v1/agents/{id}/messages/async`: a LettaRequest plus `callback_url`; it never streams."""

    callback_url = serializers.URLField(required=False, allow_null=True, allow_blank=True)

    def validate_callback_url(self, url):
        # URLField also takes ftp(s); the run is POSTed, so only http(s) can receive it. Where it may go (not to
        # this server's own network) is decided when it is sent (agents.api.callbacks).
        if url and not url.lower().startswith(("http://", "https://")):
            raise serializers.ValidationError("The callback URL must be an http:// or https:// address.")
        return url

    def validate(self, attrs):
        if attrs.get("streaming"):
            raise serializers.ValidationError(
                "The async route does not stream: follow the run with POST /v1/runs/{run_id}/stream instead."
            )
        return super().validate(attrs)


class RunListQuerySerializer(ListQuerySerializer):
    agent_id = serializers.CharField(required=False, allow_null=True)
    background = serializers.BooleanField(required=False, allow_null=True, default=None)
    active = serializers.BooleanField(required=False, default=False)
    stop_reason = serializers.CharField(required=False, allow_null=True)
    ascending = serializers.BooleanField(required=False, allow_null=True, default=None)
    conversation_id = serializers.CharField(required=False, allow_null=True)
    order_by = serializers.ChoiceField(choices=["created_at"], required=False)

    def validate(self, attrs):
        if attrs["ascending"] is not None and "order" not in self.initial_data:
            attrs["order"] = "asc" if attrs["ascending"] else "desc"  # the deprecated spelling of `order`
        return attrs


class StepListQuerySerializer(ListQuerySerializer):
    agent_id = serializers.CharField(required=False, allow_null=True)
    model = serializers.CharField(required=False, allow_null=True)
    feedback = serializers.ChoiceField(choices=["positive", "negative"], required=False, allow_null=True)
    has_feedback = serializers.BooleanField(required=False, allow_null=True, default=None)
    start_date = serializers.DateTimeField(required=False, allow_null=True)
    end_date = serializers.DateTimeField(required=False, allow_null=True)
    project_id = serializers.CharField(required=False, allow_null=True)
    order_by = serializers.ChoiceField(choices=["created_at"], required=False)


class FeedbackSerializer(serializers.Serializer):
    feedback = serializers.ChoiceField(choices=["positive", "negative"], required=False, allow_null=True)
    tags = serializers.ListField(child=serializers.CharField(), required=False, allow_null=True)
    # Beyond Letta's request: the ADE's note beside the verdict; its length is the service's rule.
    comment = serializers.CharField(
        required=False,
        allow_null=True,
        allow_blank=True,
        trim_whitespace=False,
        help_text="A note on the verdict; blank or null clears it.",
    )


class RunStreamSerializer(serializers.Serializer):
    """`POST /v1/runs/{id}/stream`: where to resume and how to follow."""

    starting_after = serializers.IntegerField(required=False, min_value=0, default=0)
    include_pings = serializers.BooleanField(required=False, allow_null=True, default=True)
    poll_interval = serializers.FloatField(
        required=False,
        allow_null=True,
        min_value=0.01,
        max_value=10,
        default=None,
        help_text="The longest wait, in seconds, between looks for new events; new events are sent as soon as they are "
        "written whatever it is. Unset: 1 s when the run's events are announced to this server process, else 0.1 s.",
    )
    batch_size = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=1000, default=100)


class PromptTokensDetailsSerializer(ResponseSerializer):
    cached_tokens = serializers.IntegerField()


class CompletionTokensDetailsSerializer(ResponseSerializer):
    reasoning_tokens = serializers.IntegerField()


class StepSerializer(ResponseSerializer):
    id = serializers.CharField()
    agent_id = nullable(serializers.CharField)
    run_id = nullable(serializers.CharField)
    model = nullable(serializers.CharField)
    model_handle = nullable(BlankAsNullCharField)
    provider_name = serializers.SerializerMethodField()
    context_window_limit = nullable(serializers.IntegerField)
    status = nullable(serializers.ChoiceField, choices=STEP_STATUSES)
    stop_reason = nullable(serializers.ChoiceField, choices=STOP_REASONS)
    prompt_tokens = nullable(serializers.IntegerField)
    completion_tokens = nullable(serializers.IntegerField)
    total_tokens = nullable(serializers.IntegerField)
    cached_input_tokens = nullable(serializers.IntegerField)
    reasoning_tokens = nullable(serializers.IntegerField)
    prompt_tokens_details = serializers.SerializerMethodField()
    completion_tokens_details = serializers.SerializerMethodField()
    error_type = nullable(serializers.CharField)
    error_data = nullable(serializers.DictField)
    feedback = nullable(serializers.ChoiceField, choices=["positive", "negative"])
    tags = nullable(serializers.ListField, child=serializers.CharField())
    created_at = nullable(IsoDateTimeField)

    @extend_schema_field(OpenApiTypes.STR)
    def get_provider_name(self, step: Step) -> str | None:
        return step.model_handle.partition("/")[0] or None

    def to_representation(self, step: Step) -> dict:
        data = super().to_representation(step)
        if not step.usage_reported:  # the provider said nothing: unknown, not zero (the ADE shows our estimate)
            data.update(dict.fromkeys(UNREPORTED_USAGE_FIELDS + ("cached_input_tokens", "reasoning_tokens")))
        return data

    @extend_schema_field(PromptTokensDetailsSerializer(allow_null=True))
    def get_prompt_tokens_details(self, step: Step) -> dict:
        return {"cached_tokens": step.cached_input_tokens}

    @extend_schema_field(CompletionTokensDetailsSerializer(allow_null=True))
    def get_completion_tokens_details(self, step: Step) -> dict:
        return {"reasoning_tokens": step.reasoning_tokens}


class ToolTimingSerializer(ResponseSerializer):
    tool_call_id = serializers.CharField()
    name = serializers.CharField()
    duration_ns = nullable(serializers.IntegerField)


class StepMetricsSerializer(ResponseSerializer):
    id = serializers.CharField()
    agent_id = nullable(serializers.CharField)
    run_id = nullable(serializers.CharField)
    step_start_ns = serializers.SerializerMethodField()
    llm_request_ns = nullable(serializers.IntegerField, source="llm_duration_ns")
    tool_execution_ns = nullable(serializers.IntegerField, source="tool_duration_ns")
    step_ns = nullable(serializers.IntegerField, source="total_duration_ns")
    # Beyond Letta's StepMetrics (the SDK keeps unknown fields): the inspector's per-step timings.
    ttft_ns = nullable(
        serializers.IntegerField,
        help_text="From sending the model request to its first streamed piece (null when it was not streamed).",
    )
    tool_timings = serializers.ListField(
        child=ToolTimingSerializer(), help_text="Each tool call's own time, in call order."
    )

    @extend_schema_field(OpenApiTypes.INT)
    def get_step_start_ns(self, step: Step) -> int:
        # The row is written as the step ends; it began its total time earlier.
        return int(step.created_at.timestamp() * 1e9) - (step.total_duration_ns or 0)


class ProviderTraceSerializer(ResponseSerializer):
    """A model call's exact request and response (letta-client's ProviderTrace), plus where it was sent."""

    id = serializers.CharField()
    request_json = serializers.DictField()
    response_json = serializers.DictField()
    step_id = nullable(serializers.CharField)
    run_id = nullable(serializers.CharField)
    agent_id = nullable(serializers.CharField)
    agent_tags = serializers.SerializerMethodField()
    call_type = serializers.CharField()
    latency_ms = nullable(serializers.IntegerField)
    llm_config = serializers.SerializerMethodField()
    compaction_settings = serializers.SerializerMethodField()
    source = serializers.SerializerMethodField()
    org_id = serializers.CharField(source="organization_id")
    created_by_id = nullable(serializers.CharField)
    last_updated_by_id = nullable(serializers.CharField)
    created_at = IsoDateTimeField()
    updated_at = IsoDateTimeField()
    provider_type = serializers.CharField(help_text="The wire protocol: openai or anthropic.")
    endpoint = serializers.CharField(help_text="Where the request was posted (base URL and path).")
    truncated = serializers.BooleanField(
        help_text="A side was over LETTA_TRACE_MAX_BYTES and was cut; the cut side says how big it was."
    )

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_agent_tags(self, trace: ProviderTrace) -> list:
        return list(trace.agent.tags or [])

    @extend_schema_field(serializers.DictField(allow_null=True))
    def get_llm_config(self, trace: ProviderTrace) -> dict | None:
        if trace.call_type != ProviderTrace.CallType.AGENT_STEP:
            return None
        return _llm_config(trace)

    @extend_schema_field(serializers.DictField(allow_null=True))
    def get_compaction_settings(self, trace: ProviderTrace) -> dict | None:
        if trace.call_type != ProviderTrace.CallType.SUMMARIZATION:
            return None
        return {"model": _requested(trace, "model"), "max_tokens": _max_tokens(trace)}

    @extend_schema_field(OpenApiTypes.STR)
    def get_source(self, trace: ProviderTrace) -> str:
        return TRACE_SOURCE


TRACE_SOURCE = "letta-django"


def _requested(trace: ProviderTrace, key: str):
    request = trace.request_json if isinstance(trace.request_json, dict) else {}
    return request.get(key)


def _max_tokens(trace: ProviderTrace) -> int | None:
    return _requested(trace, "max_tokens") or _requested(trace, "max_completion_tokens")


def _llm_config(trace: ProviderTrace) -> dict:
    """What the request was made with: read from the body sent (the agent may have changed since) and the step."""
    step = getattr(trace, "step", None)
    model = _requested(trace, "model")
    return {
        "model": model,
        "handle": step.model_handle if step is not None else None,
        "model_endpoint_type": trace.provider_type,
        "model_endpoint": trace.endpoint,
        "context_window": step.context_window_limit if step is not None else None,
        "temperature": _requested(trace, "temperature"),
        "max_tokens": _max_tokens(trace),
        "parallel_tool_calls": _requested(trace, "parallel_tool_calls"),
    }


# Token fields a response leaves None when no provider answer behind it reported usage.
UNREPORTED_USAGE_FIELDS = (
    "prompt_tokens",
    "completion_tokens",
    "total_tokens",
    "prompt_tokens_details",
    "completion_tokens_details",
)


class RunUsageSerializer(ResponseSerializer):
    """The run's token totals; the details are summed over its steps (the run row keeps only the three counts).
    Unknown (None) when the run has steps and none of their provider answers reported usage."""

    def to_representation(self, run: Run) -> dict:
        data = super().to_representation(run)
        if run_selectors.usage_unreported(run):
            data.update(dict.fromkeys(UNREPORTED_USAGE_FIELDS))
        return data

    prompt_tokens = nullable(serializers.IntegerField)
    completion_tokens = nullable(serializers.IntegerField)
    total_tokens = nullable(serializers.IntegerField)
    prompt_tokens_details = serializers.SerializerMethodField()
    completion_tokens_details = serializers.SerializerMethodField()

    @extend_schema_field(PromptTokensDetailsSerializer(allow_null=True))
    def get_prompt_tokens_details(self, run: Run) -> dict:
        return {"cached_tokens": run.steps.aggregate(total=Sum("cached_input_tokens"))["total"] or 0}

    @extend_schema_field(CompletionTokensDetailsSerializer(allow_null=True))
    def get_completion_tokens_details(self, run: Run) -> dict:
        return {"reasoning_tokens": run.steps.aggregate(total=Sum("reasoning_tokens"))["total"] or 0}


class RunMetricsSerializer(ResponseSerializer):
    id = serializers.CharField()
    agent_id = nullable(serializers.CharField)
    run_start_ns = serializers.SerializerMethodField()
    run_ns = nullable(serializers.IntegerField, source="total_duration_ns")
    num_steps = nullable(serializers.IntegerField, source="step_count")

    @extend_schema_field(OpenApiTypes.INT)
    def get_run_start_ns(self, run: Run) -> int:
        return int(run.created_at.timestamp() * 1e9)


_STEP, _STEP_METRICS, _TRACE = StepSerializer(), StepMetricsSerializer(), ProviderTraceSerializer()
_RUN_USAGE, _RUN_METRICS = RunUsageSerializer(), RunMetricsSerializer()


def step_data(step: Step) -> dict:
    return _STEP.to_representation(step)


def step_metrics(step: Step) -> dict:
    return _STEP_METRICS.to_representation(step)


def provider_trace(trace: ProviderTrace, step: Step | None) -> dict:
    trace.step = step  # for its llm_config
    return _TRACE.to_representation(trace)


def run_usage(run: Run) -> dict:
    return _RUN_USAGE.to_representation(run)


def run_metrics(run: Run) -> dict:
    return _RUN_METRICS.to_representation(run)
