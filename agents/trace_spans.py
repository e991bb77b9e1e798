"""A run as OpenTelemetry-style spans (`GET /v1/runs/{id}/trace`), built from what the run and its steps store.

Letta reads these from ClickHouse; here they are derived: a root span for the run, an `agent_step` span per step
with a `time_to_first_token` span and one `tool_execution` span per tool call under it, and a `summarization`
span per compaction call. A step stores its durations, not the instants inside it, so the model call is placed
at the step's start and its tools one after another after it: the durations are exact, the placement inside a
step is approximate.
"""

import hashlib
import uuid
from datetime import datetime, timedelta

from django.utils import timezone

from agents.models import ProviderTrace, Run, Step

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000


def trace_id_of(run_id: str) -> str:
    """The run's 32-hex-digit trace id: its own uuid when it has one."""
    try:
        return uuid.UUID(run_id.partition("-")[2]).hex
    except ValueError:
        return hashlib.sha256(run_id.encode()).hexdigest()[:32]


def _span_id(*parts: str) -> str:
    return hashlib.sha256(":".join(parts).encode()).hexdigest()[:16]


def _span(
    name: str,
    trace_id: str,
    span_id: str,
    parent: str | None,
    start: datetime,
    duration_ns: int | None,
    status: str,
    attributes: dict,
) -> dict:
    duration_ns = max(duration_ns or 0, 0)
    end = start + timedelta(microseconds=duration_ns // 1000)
    return {
        "name": name,
        "trace_id": trace_id,
        "span_id": span_id,
        "parent_span_id": parent,
        "start_time": start.isoformat(),
        "end_time": end.isoformat(),
        "start_time_unix_nano": int(start.timestamp() * 1e9),
        "duration_ns": duration_ns,
        "duration_ms": duration_ns / 1e6,
        "status_code": status,
        "attributes": attributes,
    }


def _root(run: Run, trace_id: str) -> dict:
    ended = run.completed_at or timezone.now()
    duration = run.total_duration_ns or int((ended - run.created_at).total_seconds() * 1e9)
    status = "ERROR" if run.status == Run.Status.FAILED else "OK" if run.completed_at else "UNSET"
    return _span(
        "agent_run",
        trace_id,
        _span_id("run", run.id),
        None,
        run.created_at,
        duration,
        status,
        {
            "run_id": run.id,
            "agent_id": run.agent_id,
            "status": run.status,
            "stop_reason": run.stop_reason,
            "step_count": run.step_count,
            "ttft_ns": run.ttft_ns,
            "prompt_tokens": run.prompt_tokens,
            "completion_tokens": run.completion_tokens,
            "total_tokens": run.total_tokens,
        },
    )


def _step_spans(step: Step, trace_id: str, root_id: str) -> list[dict]:
    start = step.created_at - timedelta(microseconds=(step.total_duration_ns or 0) // 1000)
    span_id = _span_id("step", step.id)
    status = {Step.Status.SUCCESS: "OK", Step.Status.FAILED: "ERROR"}.get(step.status, "UNSET")
    spans = [
        _span(
            "agent_step",
            trace_id,
            span_id,
            root_id,
            start,
            step.total_duration_ns,
            status,
            {
                "step_id": step.id,
                "run_id": step.run_id,
                "agent_id": step.agent_id,
                "model": step.model,
                "model_handle": step.model_handle,
                "status": step.status,
                "error_type": step.error_type,
                "prompt_tokens": step.prompt_tokens,
                "completion_tokens": step.completion_tokens,
                "total_tokens": step.total_tokens,
                "ttft_ns": step.ttft_ns,
                "llm_duration_ns": step.llm_duration_ns,
                "tool_duration_ns": step.tool_duration_ns,
            },
        )
    ]
    if step.ttft_ns is not None:
        spans.append(
            _span(
                "time_to_first_token",
                trace_id,
                _span_id("ttft", step.id),
                span_id,
                start,
                step.ttft_ns,
                "OK",
                {"step_id": step.id, "ttft_ns": step.ttft_ns, "ttft_ms": step.ttft_ns / 1e6},
            )
        )
    at = start + timedelta(microseconds=(step.llm_duration_ns or 0) // 1000)
    for timing in step.tool_timings or []:
        duration = timing.get("duration_ns") or 0
        spans.append(
            _span(
                "tool_execution",
                trace_id,
                _span_id("tool", step.id, str(timing.get("tool_call_id"))),
                span_id,
                at,
                duration,
                "OK",
                {
                    "step_id": step.id,
                    "tool_call_id": timing.get("tool_call_id"),
                    "tool_name": timing.get("name"),
                    "duration_ns": duration,
                },
            )
        )
        at += timedelta(microseconds=duration // 1000)
    return spans


def _summarization_span(trace: ProviderTrace, trace_id: str, root_id: str) -> dict:
    latency_ns = (trace.latency_ms or 0) * 1_000_000
    failed = isinstance(trace.response_json, dict) and "error" in trace.response_json
    return _span(
        "summarization",
        trace_id,
        _span_id("trace", trace.id),
        _span_id("step", trace.step_id) if trace.step_id else root_id,
        trace.created_at - timedelta(microseconds=latency_ns // 1000),
        latency_ns,
        "ERROR" if failed else "OK",
        {"provider_trace_id": trace.id, "step_id": trace.step_id, "endpoint": trace.endpoint},
    )


def run_spans(run: Run, limit: int = DEFAULT_LIMIT) -> list[dict]:
    """The run's spans, oldest first, at most `limit` of them (three queries however long the run)."""
    trace_id = trace_id_of(run.id)
    root = _root(run, trace_id)
    spans = [root]
    for step in Step.objects.filter(run=run).order_by("created_at", "id")[:limit]:
        spans += _step_spans(step, trace_id, root["span_id"])
    summaries = ProviderTrace.objects.filter(run=run, call_type=ProviderTrace.CallType.SUMMARIZATION)
    for trace in summaries.order_by("created_at", "id")[:limit]:
        spans.append(_summarization_span(trace, trace_id, root["span_id"]))
    spans[1:] = sorted(spans[1:], key=lambda span: span["start_time_unix_nano"])
    return spans[:limit]
