"""The context window overview arranged for the ADE's viewer: sections in request order with their share of the
window, the budget and the compaction threshold. Pure arithmetic on `context_overview`'s numbers, so the page
shows exactly what the API's `/context` answers.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from agents.runtime.compaction import TRIGGER_FRACTION
from agents.runtime.transcript import text_of

# (overview key, title) in the order the request holds them; the text of section "x" is overview["x"] except
# for the system instructions, which Letta's shape calls `system_prompt`.
SECTIONS = (
    ("system", "System instructions"),
    ("core_memory", "Memory blocks"),
    ("memory_filesystem", "Memory filesystem"),
    ("tool_usage_rules", "Tool rules"),
    ("directories", "Directories"),
    ("external_memory_summary", "Memory metadata"),
    ("summary_memory", "Summary of earlier messages"),
    ("functions_definitions", "Tool schemas"),
    ("messages", "Message buffer"),
)


@dataclass(frozen=True, slots=True)
class Section:
    key: str
    title: str
    tokens: int
    text: str
    percent_of_window: float  # share of the context window, 0-100
    percent_of_total: float  # share of the tokens the request uses, 0-100


@dataclass(frozen=True, slots=True)
class ContextDisplay:
    sections: list[Section]
    total: int
    window: int
    percent_used: float
    compaction_percent: int
    compaction_tokens: int
    free_tokens: int
    over_compaction: bool
    estimates: bool
    tokenizer: str
    last_reported_prompt_tokens: int | None
    num_messages: int
    num_archival_memory: int
    num_recall_memory: int
    raw_request_json: str


def context_display(overview: dict) -> ContextDisplay:
    window = overview["context_window_size_max"] or 0
    total = overview["context_window_size_current"]
    sections = [
        Section(
            key=key,
            title=title,
            tokens=overview[f"num_tokens_{key}"],
            text=_text(key, overview),
            percent_of_window=_percent(overview[f"num_tokens_{key}"], window),
            percent_of_total=_percent(overview[f"num_tokens_{key}"], total),
        )
        for key, title in SECTIONS
    ]
    compaction_tokens = int(window * TRIGGER_FRACTION)
    return ContextDisplay(
        sections=sections,
        total=total,
        window=window,
        percent_used=_percent(total, window),
        compaction_percent=round(TRIGGER_FRACTION * 100),
        compaction_tokens=compaction_tokens,
        free_tokens=max(window - total, 0),
        over_compaction=total > compaction_tokens,
        estimates=overview["token_counts_are_estimates"],
        tokenizer=overview["tokenizer"],
        last_reported_prompt_tokens=overview["last_reported_prompt_tokens"],
        num_messages=overview["num_messages"],
        num_archival_memory=overview["num_archival_memory"],
        num_recall_memory=overview["num_recall_memory"],
        raw_request_json=json.dumps(overview["raw_request"], indent=2, ensure_ascii=False),
    )


def _percent(part: int, whole: int) -> float:
    return round(100 * part / whole, 2) if whole else 0.0


def _text(key: str, overview: dict) -> str:
    if key == "system":
        return overview["system_prompt"] or ""
    if key == "functions_definitions":
        return json.dumps(overview[key] or [], indent=2, ensure_ascii=False) if overview[key] else ""
    if key == "messages":
        return "\n\n".join(_message_text(message) for message in overview["messages"])
    return overview[key] or ""


def _message_text(message: dict) -> str:
    """One buffered message as a person reads it: role, text, the tool calls it made or the results it carries."""
    lines = [f"[{message['role']}] {text_of(message['content'])}".rstrip()]
    for call in message.get("tool_calls") or []:
        function = call.get("function", {})
        lines.append(f"  → {function.get('name')}({function.get('arguments', '')})")
    for tool_return in message.get("tool_returns") or []:
        lines.append(f"  ← {tool_return.get('status', '')}: {tool_return.get('func_response', '')}")
    return "\n".join(lines)
