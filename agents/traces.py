"""Provider traces: the exact body each model call posted and what came back, kept per step for the inspector and
Letta's trace routes (`/v1/steps/{id}/trace`, `/v1/runs/{id}/trace`).

The rules live here: each side is bounded to settings.TRACE_MAX_BYTES (a cut side stays a valid JSON object that
says it was cut and how big it was); settings.TRACE_KEEP_DAYS == 0 stores none; an organization's traces older
than TRACE_KEEP_DAYS are deleted at most once a minute per process, when one of its runs starts.
"""

import json
import time
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from agents.llm import ProviderCall
from agents.models import ProviderTrace

# Room kept for the marker and the separators around the items that are kept.
_MARKER_ROOM = 400
PRUNE_EVERY_NS = 60 * 1_000_000_000
_last_pruned: dict[str, int] = {}  # organization id -> monotonic time of its last prune in this process


# ------------------------------------------------------------------------------------------ bounding


def _size(value) -> int:
    return len(json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str).encode())


def bounded(value: dict, limit: int) -> tuple[dict, bool]:
    """`value`, or a cut copy under `limit` bytes of JSON, and whether it was cut.

    A request keeps the messages from both ends (the system prompt and the newest turns), a stream its first
    events; the omitted items are replaced by one marker item. Anything else keeps a prefix of its JSON text."""
    size = _size(value)
    if size <= limit:
        return value, False
    marker = {"truncated": True, "original_bytes": size, "limit_bytes": limit}
    for key, both_ends in (("messages", True), ("stream", False)):
        if isinstance(value.get(key), list) and (cut := _cut_list(value, key, marker, limit, both_ends)) is not None:
            return cut, True
    return _prefix(value, marker, limit), True


def _prefix(value: dict, marker: dict, limit: int) -> dict:
    """The start of value's JSON text as a string; quoting it escapes its quotes, so shrink until it fits."""
    text = json.dumps(value, ensure_ascii=False, default=str)
    keep = limit - _MARKER_ROOM
    while True:
        cut = {"_truncated": marker, "json_prefix": text.encode()[: max(keep, 0)].decode(errors="ignore")}
        over = _size(cut) - limit
        if over <= 0 or keep <= 0:
            return cut
        keep -= over


def _cut_list(value: dict, key: str, marker: dict, limit: int, both_ends: bool) -> dict | None:
    """`value` with value[key] reduced to the items that fit, or None when even the rest of it does not fit."""
    items = value[key]
    budget = limit - _size({**value, key: [], "_truncated": marker}) - _MARKER_ROOM
    if budget <= 0:
        return None
    sizes = [_size(item) + 1 for item in items]
    head, tail = 0, len(items)  # items[:head] and items[tail:] are kept
    used = 0
    take_front = True
    while head < tail:
        index = head if take_front or not both_ends else tail - 1
        if used + sizes[index] > budget:
            break
        used += sizes[index]
        if index == head:
            head += 1
        else:
            tail -= 1
        take_front = not take_front
    omitted = tail - head
    note = {"_omitted": omitted, "_omitted_bytes": sum(sizes[head:tail])}
    return {**value, key: [*items[:head], note, *items[tail:]], "_truncated": marker}


# ------------------------------------------------------------------------------------------ storing


def enabled() -> bool:
    return settings.TRACE_KEEP_DAYS > 0


def build(
    call: ProviderCall,
    *,
    organization_id: str,
    agent_id: str,
    run_id: str | None,
    step_id: str | None,
    call_type: str = ProviderTrace.CallType.AGENT_STEP,
) -> ProviderTrace:
    """The row for one model call, each side bounded; not saved."""
    limit = settings.TRACE_MAX_BYTES
    request, cut_request = bounded(call.request, limit)
    response, cut_response = bounded(call.answer(), limit)
    return ProviderTrace(
        organization_id=organization_id,
        agent_id=agent_id,
        run_id=run_id,
        step_id=step_id,
        call_type=call_type,
        provider_type=call.provider_type,
        endpoint=call.endpoint,
        request_json=request,
        response_json=response,
        latency_ms=call.latency_ns // 1_000_000,
        truncated=cut_request or cut_response,
    )


def store(calls: list[ProviderCall], **where) -> list[ProviderTrace]:
    """Save one trace per model call, in call order (`where`: organization_id, agent_id, run_id, step_id,
    call_type). Stores none when traces are switched off (TRACE_KEEP_DAYS = 0)."""
    if not enabled() or not calls:
        return []
    rows = ProviderTrace.objects.bulk_create([build(call, **where) for call in calls])
    if len(rows) > 1:
        # created_at is stamped on insert, the same for the whole batch: space the rows a microsecond apart so
        # several calls of one step (or one compaction) read back in the order they were made.
        first = rows[0].created_at
        for offset, row in enumerate(rows):
            row.created_at = first + timedelta(microseconds=offset)
        ProviderTrace.objects.bulk_update(rows, ["created_at"])
    return rows


# ------------------------------------------------------------------------------------------ pruning


def prune_expired(organization_id: str) -> int:
    """Delete the organization's traces older than TRACE_KEEP_DAYS (all of them when it is 0)."""
    cutoff = timezone.now() - timedelta(days=max(settings.TRACE_KEEP_DAYS, 0))
    deleted, _ = ProviderTrace.objects.filter(organization_id=organization_id, created_at__lt=cutoff).delete()
    return deleted


def prune_if_due(organization_id: str) -> int:
    """prune_expired, at most once a minute per organization in this process: called as runs start, so the
    sweep costs no query on most runs and no separate job."""
    now = time.monotonic_ns()
    last = _last_pruned.get(organization_id)
    if last is not None and now - last < PRUNE_EVERY_NS:
        return 0
    _last_pruned[organization_id] = now
    return prune_expired(organization_id)


# ------------------------------------------------------------------------------------------ reading


def of_step(step_id: str) -> ProviderTrace | None:
    """The trace of the call that produced the step's answer: its last model call (a context-overflow retry
    makes several), else the last summarizer call it made (a step that failed compacting)."""
    kept = ProviderTrace.objects.filter(step_id=step_id).select_related("agent").order_by("-created_at", "-id")
    return kept.filter(call_type=ProviderTrace.CallType.AGENT_STEP).first() or kept.first()


def of_run(run_id: str) -> list[ProviderTrace]:
    return list(ProviderTrace.objects.filter(run_id=run_id).order_by("created_at", "id"))
