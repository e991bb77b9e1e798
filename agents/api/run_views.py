"""`/v1/runs` and `/v1/steps` as records (DRF, sync): list and read runs and steps, the messages each one
stored, their usage and timings, and feedback on a step. Starting and following runs are the async views of
`agents.api.send_views`.

Every query is scoped to the key's organization; a foreign or unknown id answers 404.
"""

from django.http import JsonResponse
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api import organization_of
from accounts.selectors import get_owned
from agents import services, trace_spans, traces
from agents.api import run_serializers as rs
from agents.api.pagination import cursor_page
from agents.api.serializers import ListQuerySerializer, run_data
from agents.api.views import message_page, validated
from agents.models import Message, Run, Step
from memory.selectors import narrowed

CREATED = ("created_at", "id")


def _runs(request):
    return Run.objects.for_organization(organization_of(request))


def _steps(request):
    return Step.objects.for_organization(organization_of(request))


def get_run(request, run_id: str) -> Run:
    return get_owned(Run, organization_of(request), run_id, "Run")


def get_step(request, step_id: str) -> Step:
    return get_owned(Step, organization_of(request), step_id, "Step")


def page(queryset, query: dict, *, what: str, default_limit: int) -> list:
    """One keyset page of `queryset` by creation time, honouring before/after/limit/order."""
    return cursor_page(queryset, query, what=what, fields=CREATED, default_limit=default_limit)


class RunListView(APIView):
    """`GET /v1/runs/` with the SDK's filters."""

    def get(self, request):
        query = validated(rs.RunListQuerySerializer, request.query_params)
        runs = _runs(request)
        agent_ids = [i for i in [query.get("agent_id"), *request.query_params.getlist("agent_ids")] if i]
        if agent_ids:
            runs = runs.filter(agent_id__in=agent_ids)
        statuses = request.query_params.getlist("statuses")
        if statuses:
            runs = runs.filter(status__in=statuses)
        if query["active"]:
            runs = runs.filter(status__in=Run.ACTIVE)
        if query["background"] is not None:
            runs = runs.filter(background=query["background"])
        if query.get("stop_reason"):
            runs = runs.filter(stop_reason=query["stop_reason"])
        if query.get("conversation_id"):
            runs = runs.none()  # this server has no conversations, so no run belongs to one
        return Response([run_data(r) for r in page(runs, query, what="Run", default_limit=100)])


class RunMessagesView(APIView):
    def get(self, request, run_id):
        run = get_run(request, run_id)
        return Response(message_page(request, Message.objects.filter(run=run), default_order="asc"))


class RunStepsView(APIView):
    def get(self, request, run_id):
        run = get_run(request, run_id)
        query = validated(ListQuerySerializer, request.query_params)
        steps = Step.objects.filter(run=run)
        return Response([rs.step_data(s) for s in page(steps, query, what="Step", default_limit=50)])


class RunUsageView(APIView):
    def get(self, request, run_id):
        return Response(rs.run_usage(get_run(request, run_id)))


class RunMetricsView(APIView):
    def get(self, request, run_id):
        return Response(rs.run_metrics(get_run(request, run_id)))


class RunTraceQuerySerializer(serializers.Serializer):
    limit = serializers.IntegerField(
        required=False, default=trace_spans.DEFAULT_LIMIT, min_value=1, max_value=trace_spans.MAX_LIMIT
    )


class RunTraceView(APIView):
    """`GET /v1/runs/{id}/trace?limit=`: the run as spans, oldest first."""

    def get(self, request, run_id):
        run = get_run(request, run_id)
        query = validated(RunTraceQuerySerializer, request.query_params)
        return Response(trace_spans.run_spans(run, query["limit"]))


class StepListView(APIView):
    """`GET /v1/steps/` with the SDK's filters."""

    def get(self, request):
        query = validated(rs.StepListQuerySerializer, request.query_params)
        steps = narrowed(
            _steps(request),
            agent_id=query.get("agent_id"),
            model=query.get("model"),
            feedback=query.get("feedback"),
            created_at__gte=query.get("start_date"),
            created_at__lte=query.get("end_date"),
        )
        if query["has_feedback"] is not None:
            steps = steps.filter(feedback__isnull=not query["has_feedback"])
        if query.get("project_id"):
            steps = steps.none()  # this server has no projects
        tags = set(request.query_params.getlist("tags"))
        if tags:
            # JSON containment has no SQLite lookup; match over the few steps that carry tags at all.
            tagged = steps.exclude(tags=[]).values_list("id", "tags")
            steps = steps.filter(id__in=[pk for pk, step_tags in tagged if tags & set(step_tags or [])])
        return Response([rs.step_data(s) for s in page(steps, query, what="Step", default_limit=50)])


class StepDetailView(APIView):
    def get(self, request, step_id):
        return Response(rs.step_data(get_step(request, step_id)))


class StepMessagesView(APIView):
    def get(self, request, step_id):
        step = get_step(request, step_id)
        return Response(message_page(request, Message.objects.filter(step=step), default_order="asc"))


class StepMetricsView(APIView):
    def get(self, request, step_id):
        return Response(rs.step_metrics(get_step(request, step_id)))


class StepTraceView(APIView):
    """`GET /v1/steps/{id}/trace`: the exact request and response of the step's model call, or null."""

    def get(self, request, step_id):
        step = get_step(request, step_id)
        trace = traces.of_step(step.id)
        if trace is None:
            return JsonResponse(None, safe=False)  # a JSON `null` (DRF sends None as an empty body)
        return Response(rs.provider_trace(trace, step))


class StepFeedbackView(APIView):
    """`PATCH /v1/steps/{id}/feedback` `{feedback?, tags?, comment?}`: set the verdict, add the tags, set the
    comment (beyond Letta's fields; not in the Step it answers)."""

    def patch(self, request, step_id):
        step = get_step(request, step_id)
        data = validated(rs.FeedbackSerializer, request.data)
        return Response(rs.step_data(services.record_step_feedback(step, **data)))
