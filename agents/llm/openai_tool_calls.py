"""Tool calls as OpenAI-compatible servers really send them, read by one parser for whole and streamed answers.

Servers differ: OpenAI sends `tool_calls`; older ones the legacy single `function_call`; llama-cpp-python sends
every fragment in both at once (reading both doubles the arguments); local servers leave ids or indexes out, or
send the arguments as an object; some send an empty `function_call` beside real tool calls. Whatever the shape,
each call is taken once, its arguments joined in order, and a call that never got a name is refused.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field

from .errors import UnusableReply
from .types import Delta, ToolCall


def new_call_id() -> str:
    """For local servers that leave the tool-call id out; the next turn must quote one back."""
    return f"call_{uuid.uuid4().hex[:24]}"


def arguments_text(value: object) -> str:
    if isinstance(value, (dict, list)):  # a few servers send the parsed object
        return json.dumps(value)
    return value if isinstance(value, str) else ""


def pieces_of(part: dict) -> list[dict]:
    """The tool-call pieces of one message or delta. `tool_calls` wins: a server that also fills the legacy
    `function_call` (llama-cpp-python) repeats the same call there."""
    calls = part.get("tool_calls")
    if calls:
        if not isinstance(calls, list) or not all(isinstance(c, dict) for c in calls):
            raise UnusableReply(f"tool_calls is not a list of objects: {json.dumps(calls)[:200]}")
        return calls
    legacy = part.get("function_call")
    if not legacy:
        return []
    if not isinstance(legacy, dict):
        raise UnusableReply(f"function_call is not an object: {json.dumps(legacy)[:200]}")
    return [{"function": legacy}]


@dataclass(slots=True)
class _Pending:
    id: str
    name: str
    arguments: list[str] = field(default_factory=list)


class ToolCallParser:
    """Collects tool calls from whole messages (`add_message`) or streamed deltas (`add_delta`)."""

    def __init__(self) -> None:
        self._calls: list[_Pending] = []
        self._by_index: dict[int, _Pending] = {}

    def add_message(self, message: dict) -> None:
        # A whole message lists complete calls: each entry is its own call, with or without an index.
        for position, piece in enumerate(pieces_of(message)):
            self._add({**piece, "index": position})

    def add_delta(self, delta: dict) -> list[Delta]:
        return [out for piece in pieces_of(delta) if (out := self._add(piece)) is not None]

    def calls(self) -> list[ToolCall]:
        for call in self._calls:
            if not call.name:
                arguments = "".join(call.arguments)[:200]
                raise UnusableReply(f"a tool call without a function name (id {call.id}, arguments {arguments!r})")
        return [ToolCall(id=c.id, name=c.name, arguments="".join(c.arguments) or "{}") for c in self._calls]

    def _add(self, piece: dict) -> Delta | None:
        function = piece.get("function") or {}
        if not isinstance(function, dict):
            raise UnusableReply(f"a tool call whose function is not an object: {json.dumps(piece)[:200]}")
        name = function.get("name") if isinstance(function.get("name"), str) else ""
        arguments = arguments_text(function.get("arguments"))
        call_id = piece.get("id") if isinstance(piece.get("id"), str) else ""
        index = self._index(piece, call_id)
        call = self._by_index.get(index)
        if call is None and not (name or arguments or call_id):
            return None  # an empty piece (e.g. `function_call: {}`) starts no call
        first, named_now = call is None, None
        if call is None:
            call = _Pending(id=call_id or new_call_id(), name=name)
            self._by_index[index] = call
            self._calls.append(call)
            named_now = name or None
        elif name and not call.name:
            call.name = named_now = name
        if arguments:
            call.arguments.append(arguments)
        if not (first or named_now or arguments):
            return None
        return Delta(
            "tool_call",
            text=arguments,
            tool_call_index=self._calls.index(call),
            tool_call_id=call.id if first else None,
            tool_name=named_now,
        )

    def _index(self, piece: dict, call_id: str) -> int:
        index = piece.get("index")
        if isinstance(index, int):
            return index
        # No index (some local servers): a new id starts a new call, anything else continues the last one.
        if not self._calls or (call_id and call_id not in {c.id for c in self._calls}):
            return max(self._by_index, default=-1) + 1
        last = self._calls[-1]
        return next(i for i, c in self._by_index.items() if c is last)
