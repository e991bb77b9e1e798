"""Wire shapes of runs and steps beyond the Run itself (`serializers.run_data`): the async send, the list
filters, the resume request, Step, usage and metrics, as `letta-client`'s `types/` parse them."""

from django.db.models import Sum
from rest_framework import serializers

from agents.api.serializers import LettaRequestSerializer, ListQuerySerializer, _iso
from agents.models import Run, Step


class LettaAsyncRequestSerializer(LettaRequestSerializer):
    """`POST /v1/agents/{id}/messages/async`: a LettaRequest plus `callback_url`; it never streams."""

    callback_url = serializers.URLField(required=False, allow_null=True, allow_blank=True)

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


class RunStreamSerializer(serializers.Serializer):
    """`POST /v1/runs/{id}/stream`: where to resume and how to follow."""

    starting_after = serializers.IntegerField(required=False, min_value=0, default=0)
    include_pings = serializers.BooleanField(required=False, allow_null=True, default=True)
    poll_interval = serializers.FloatField(required=False, allow_null=True, min_value=0.01, max_value=10, default=0.1)
    batch_size = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=1000, default=100)


def step_data(step: Step) -> dict:
    provider, _, _ = step.model_handle.partition("/")
    return {
        "id": step.id,
        "agent_id": step.agent_id,
        "run_id": step.run_id,
        "model": step.model,
        "model_handle": step.model_handle or None,
        "provider_name": provider or None,
        "context_window_limit": step.context_window_limit,
        "status": step.status,
        "stop_reason": step.stop_reason,
        "prompt_tokens": step.prompt_tokens,
        "completion_tokens": step.completion_tokens,
        "total_tokens": step.total_tokens,
        "cached_input_tokens": step.cached_input_tokens,
        "reasoning_tokens": step.reasoning_tokens,
        "prompt_tokens_details": {"cached_tokens": step.cached_input_tokens},
        "completion_tokens_details": {"reasoning_tokens": step.reasoning_tokens},
        "error_type": step.error_type,
        "error_data": step.error_data,
        "feedback": step.feedback,
        "tags": step.tags,
        "created_at": _iso(step.created_at),
    }


def step_metrics(step: Step) -> dict:
    return {
        "id": step.id,
        "agent_id": step.agent_id,
        "run_id": step.run_id,
        "step_start_ns": int(step.created_at.timestamp() * 1e9),
        "llm_request_ns": step.llm_duration_ns,
        "tool_execution_ns": step.tool_duration_ns,
        "step_ns": step.total_duration_ns,
    }


def run_usage(run: Run) -> dict:
    """The run's token totals, summed over its steps (the run row keeps only the three main counts)."""
    totals = run.steps.aggregate(cached=Sum("cached_input_tokens"), reasoning=Sum("reasoning_tokens"))
    return {
        "prompt_tokens": run.prompt_tokens,
        "completion_tokens": run.completion_tokens,
        "total_tokens": run.total_tokens,
        "prompt_tokens_details": {"cached_tokens": totals["cached"] or 0},
        "completion_tokens_details": {"reasoning_tokens": totals["reasoning"] or 0},
    }


def run_metrics(run: Run) -> dict:
    return {
        "id": run.id,
        "agent_id": run.agent_id,
        "run_start_ns": int(run.created_at.timestamp() * 1e9),
        "run_ns": run.total_duration_ns,
        "num_steps": run.step_count,
    }
