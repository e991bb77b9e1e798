"""Stored messages as the API's LettaMessage union: one stored message fans out into several typed messages
that share its id and differ in `otid` (the id's uuid with the low 7 bits set to the part's index)."""

import json
import uuid

from agents.runtime.transcript import reasoning_of, text_of

SEND_MESSAGE = "send_message"


def otid_for(message_id: str, index: int) -> str:
    raw = uuid.UUID(message_id.split("-", 1)[1])
    return str(uuid.UUID(int=(raw.int & ~0x7F) | (index & 0x7F)))


def _tool_call(call: dict) -> dict:
    return {
        "name": call["function"]["name"],
        "arguments": call["function"]["arguments"],
        "tool_call_id": call["id"],
    }


def _send_message_text(call: dict) -> str | None:
    try:
        return json.loads(call["function"]["arguments"]).get("message")
    except (ValueError, AttributeError):
        return None


def to_letta_messages(message, *, pending_approval_calls: set[str] | None = None) -> list[dict]:
    """The API view of one stored message. `pending_approval_calls` limits an approval request to the calls
    that actually wait for a person (the others of that response run once the person answers)."""
    base = {
        "id": message.id,
        "date": message.created_at.isoformat(),
        "name": message.name,
        "sender_id": message.sender_id,
        "step_id": message.step_id,
        "run_id": message.run_id,
        "seq_id": None,
    }
    if message.is_err:
        base["is_err"] = True
    out: list[dict] = []

    def add(message_type: str, **fields):
        out.append({**base, "message_type": message_type, "otid": otid_for(message.id, len(out)), **fields})

    role = message.role
    if role == "system":
        add("system_message", content=text_of(message.content))
    elif role == "user":
        add("user_message", content=text_of(message.content))
    elif role == "summary":
        add("user_message", content=text_of(message.content))
    elif role == "assistant":
        reasoning, signature = reasoning_of(message.content)
        if reasoning:
            add("reasoning_message", reasoning=reasoning, signature=signature, source="reasoner_model")
        if text := text_of(message.content):
            add("assistant_message", content=text)
        for call in message.tool_calls or []:
            if call["function"]["name"] == SEND_MESSAGE and (said := _send_message_text(call)) is not None:
                add("assistant_message", content=said)
                continue
            add("tool_call_message", tool_call=_tool_call(call), tool_calls=[_tool_call(call)])
    elif role == "approval" and message.tool_calls:
        reasoning, signature = reasoning_of(message.content)
        if reasoning:
            add("reasoning_message", reasoning=reasoning, signature=signature, source="reasoner_model")
        if text := text_of(message.content):
            add("assistant_message", content=text)
        calls = [
            _tool_call(c)
            for c in message.tool_calls
            if pending_approval_calls is None or c["id"] in pending_approval_calls
        ]
        if calls:
            add("approval_request_message", tool_call=calls[0], tool_calls=calls)
    elif role == "approval":
        approvals = message.approvals or []
        first = approvals[0] if approvals else {}
        add(
            "approval_response_message",
            approvals=approvals,
            approve=first.get("approve"),
            approval_request_id=message.approval_request_id,
            reason=first.get("reason"),
        )
    elif role == "tool":
        for ret in message.tool_returns or []:
            if ret.get("tool_name") == SEND_MESSAGE and ret.get("status") == "success":
                continue  # the reply already appeared as an assistant_message
            returned = {
                "tool_call_id": ret["tool_call_id"],
                "status": ret["status"],
                "tool_return": ret.get("func_response") or "",
                "stdout": ret.get("stdout"),
                "stderr": ret.get("stderr"),
                "type": "tool",
            }
            add(
                "tool_return_message",
                tool_call_id=ret["tool_call_id"],
                status=ret["status"],
                tool_return=returned["tool_return"],
                stdout=ret.get("stdout"),
                stderr=ret.get("stderr"),
                tool_returns=[returned],
            )
    return out
