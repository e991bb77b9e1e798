"""What the run page shows of a step: its messages as typed parts (the API's LettaMessage conversion, so the page
and `GET /v1/steps/{id}/messages` agree), its tools' own times, and its error in words.

Everything here is plain text; the template escapes it.
"""

import json
from dataclasses import dataclass

from agents.letta_messages import to_letta_messages

# Longer than this (or more lines than LONG_LINES) and a part opens collapsed, its first line as the summary.
LONG_CHARS = 400
LONG_LINES = 8
SUMMARY_CHARS = 120


@dataclass
class Part:
    kind: str  # the LettaMessage type without "_message": user, assistant, reasoning, tool_call, tool_return, ...
    title: str
    text: str
    status: str | None = None

    @property
    def long(self) -> bool:
        return len(self.text) > LONG_CHARS or self.text.count("\n") >= LONG_LINES

    @property
    def summary(self) -> str:
        first = self.text.strip().split("\n", 1)[0]
        return first if len(first) <= SUMMARY_CHARS else first[: SUMMARY_CHARS - 1] + "…"


def pretty_arguments(arguments) -> str:
    """Tool arguments as indented JSON when they parse (models send a JSON string), else as they came."""
    if isinstance(arguments, str):
        try:
            arguments = json.loads(arguments)
        except ValueError:
            return arguments
    return json.dumps(arguments, indent=2, ensure_ascii=False)


def _part(letta: dict, tool_names: dict[str, str]) -> Part | None:
    kind = letta["message_type"].removesuffix("_message")
    if kind in ("user", "system", "assistant"):
        return Part(kind, {"user": "User", "system": "System", "assistant": "Assistant"}[kind], letta["content"])
    if kind == "reasoning":
        return Part(kind, "Reasoning", letta.get("reasoning") or "")
    if kind in ("tool_call", "approval_request"):
        call = letta["tool_call"]
        tool_names[call["tool_call_id"]] = call["name"]
        title = "Tool call" if kind == "tool_call" else "Approval requested for"
        return Part(kind, f"{title} {call['name']}", pretty_arguments(call["arguments"]))
    if kind == "tool_return":
        name = tool_names.get(letta["tool_call_id"], "a tool")
        text = str(letta.get("tool_return") or "")
        for stream in ("stdout", "stderr"):
            if letta.get(stream):
                text += f"\n\n{stream}:\n" + "".join(letta[stream])
        return Part(kind, f"Return of {name}", text, status=letta.get("status"))
    if kind == "approval_response":
        verdict = "approved" if letta.get("approve") else "denied"
        return Part(kind, f"Approval {verdict}", letta.get("reason") or "")
    return None


def step_parts(messages) -> list[Part]:
    """A step's messages in order, each fanned out into the parts a reader tells apart."""
    tool_names: dict[str, str] = {}
    parts = []
    for message in messages:
        for stored in message.tool_returns or []:  # a return outside its call's step still knows its tool
            if stored.get("tool_name"):
                tool_names.setdefault(stored.get("tool_call_id"), stored["tool_name"])
        for letta in to_letta_messages(message):
            if (part := _part(letta, tool_names)) is not None:
                parts.append(part)
    return parts


def tool_times(step) -> list[dict]:
    """Each tool call's own time, as the loop recorded it: [{"name", "tool_call_id", "duration_ns"}]."""
    return [t for t in step.tool_timings or [] if isinstance(t, dict)]


def error_text(error: dict | None) -> str:
    if not error:
        return ""
    message = error.get("message") or ""
    return f"{error.get('error_type') or 'error'}: {message}" if message else str(error.get("error_type") or "")
