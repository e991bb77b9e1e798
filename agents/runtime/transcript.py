"""Stored messages <-> the plain message objects the provider clients take.

This is where our message model meets `agents.llm`; no provider wire format appears here.
"""

import json
from datetime import datetime

from agents.llm import ChatMessage, ToolCall


def text_of(content: list[dict] | None) -> str:
    return "\n".join(part.get("text", "") for part in content or [] if part.get("type") == "text")


def reasoning_of(content: list[dict] | None) -> tuple[str | None, str | None]:
    for part in content or []:
        if part.get("type") == "reasoning":
            return part.get("reasoning"), part.get("signature")
    return None, None


def format_time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %I:%M:%S %p %Z")


def packaged_return(tool_return: dict) -> str:
    """What the model sees for a tool result, as Letta shows it: status, message and the time it ran."""
    return json.dumps(
        {
            "status": "OK" if tool_return.get("status") == "success" else "Failed",
            "message": tool_return.get("func_response"),
            "time": tool_return.get("time"),
        },
        ensure_ascii=False,
    )


def _tool_calls(raw: list[dict] | None) -> list[ToolCall]:
    return [
        ToolCall(id=call["id"], name=call["function"]["name"], arguments=call["function"]["arguments"])
        for call in raw or []
    ]


def to_chat(message) -> list[ChatMessage]:
    """One stored message as the chat messages a model sees (a tool message fans out, one per return)."""
    role = message.role
    if role == "system":
        return [ChatMessage(role="system", content=text_of(message.content))]
    if role == "user":
        return [ChatMessage(role="user", content=text_of(message.content), name=message.name)]
    if role == "summary":
        return [ChatMessage(role="user", content=text_of(message.content))]
    if role in ("assistant", "approval"):
        if role == "approval" and not message.tool_calls:
            return []  # an approval response; its outcome reaches the model as the tool returns after it
        reasoning, signature = reasoning_of(message.content)
        return [
            ChatMessage(
                role="assistant",
                content=text_of(message.content) or None,
                tool_calls=_tool_calls(message.tool_calls),
                reasoning=reasoning,
                reasoning_signature=signature,
            )
        ]
    if role == "tool":
        return [
            ChatMessage(role="tool", content=packaged_return(ret), tool_call_id=ret["tool_call_id"])
            for ret in message.tool_returns or []
        ]
    return []


def to_chat_messages(messages) -> list[ChatMessage]:
    out: list[ChatMessage] = []
    for message in messages:
        out.extend(to_chat(message))
    return out
