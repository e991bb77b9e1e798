"""The request's input messages, checked and turned into unsaved Message rows."""

from agents.models import Message
from agents.runtime.errors import RunRefused

INPUT_ROLES = ("user", "system", "assistant")


def _content_parts(content) -> list[dict]:
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    if isinstance(content, list) and all(isinstance(p, dict) and p.get("type") for p in content):
        return content
    raise RunRefused("Message content must be a string or a list of content parts like {'type': 'text', 'text': ...}.")


def normalize(messages: list[dict] | None, input_text: str | None = None) -> list[dict]:
    if input_text is not None:
        if messages:
            raise RunRefused("Send either 'messages' or 'input', not both.")
        messages = [{"role": "user", "content": input_text}]
    if not messages:
        raise RunRefused("No input: send at least one message.")
    out = []
    for raw in messages:
        if not isinstance(raw, dict):
            raise RunRefused("Each message must be an object.")
        kind = raw.get("type") or "message"
        if kind == "approval":
            if not isinstance(raw.get("approvals"), list) and "approve" not in raw:
                raise RunRefused("An approval message needs 'approvals': a list of decisions.")
            out.append({**raw, "type": "approval"})
        elif kind in ("message", "tool_return"):
            if kind == "tool_return":
                out.append(
                    {"type": "approval", "approvals": [{"type": "tool", **r} for r in raw.get("tool_returns", [])]}
                )
                continue
            role = raw.get("role", "user")
            if role not in INPUT_ROLES:
                raise RunRefused(f"Message role '{role}' is not accepted; use one of {', '.join(INPUT_ROLES)}.")
            parts = _content_parts(raw.get("content"))
            if not any(p.get("text") or p.get("type") != "text" for p in parts):
                raise RunRefused("Message content is empty.")
            out.append({**raw, "type": "message", "role": role, "content": parts})
        else:
            raise RunRefused(f"Unknown input type '{kind}'; use 'message' or 'approval'.")
    return out


def to_rows(inputs: list[dict]) -> list[Message]:
    rows = []
    for item in inputs:
        if item["type"] != "message":
            continue
        rows.append(
            Message(
                role=item["role"],
                content=item["content"],
                name=item.get("name"),
                otid=item.get("otid"),
                sender_id=item.get("sender_id"),
                text="\n".join(p.get("text", "") for p in item["content"] if p.get("type") == "text"),
            )
        )
    return rows


_KEPT_FIELDS = ("id", "role", "content", "name", "otid", "sender_id", "text")


def rows_as_json(rows: list[Message]) -> list[dict]:
    """Input rows as the run keeps them until its first step stores them (see run_lifecycle.keep_unsent_input)."""
    return [{name: getattr(row, name) for name in _KEPT_FIELDS} for row in rows]


def rows_from_json(kept: list[dict]) -> list[Message]:
    return [Message(**{name: item[name] for name in _KEPT_FIELDS if item.get(name) is not None}) for item in kept]


def approvals_of(inputs: list[dict]) -> list[dict] | None:
    """The decisions in an approval input (legacy single `approve` + `approval_request_id` migrated)."""
    for item in inputs:
        if item["type"] == "approval":
            if "approvals" in item and item["approvals"] is not None:
                return item["approvals"]
            return [
                {"type": "approval", "approve": item.get("approve"), "reason": item.get("reason"), "tool_call_id": None}
            ]
    return None
