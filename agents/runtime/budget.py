"""How many tokens the next request will take, counted the way the context window overview counts them.

Counts are kept per message for the life of a run, so checking the budget before each step costs only the
messages that are new since the last step. Most checks need no tokenizing at all: a token covers at least one
byte, so the bytes of the request's values bound its count from above.
"""

from agents.llm import LLMRequest, ToolSpec
from agents.llm.preview import wire_request
from agents.models import Message
from agents.runtime.transcript import to_chat
from agents.tokens import (
    REPLY_PRIMING,
    TOKENS_PER_MESSAGE,
    TOKENS_PER_NAME,
    compact_json,
    count_tools,
    count_wire_message,
)


class TokenLedger:
    def __init__(self, model: str):
        self.model = model
        self._wire: dict[tuple[str, int], list[dict]] = {}
        self._bounds: dict[tuple[str, int], int] = {}
        self._messages: dict[tuple[str, int], int] = {}
        self._tools: dict[tuple[str, ...], int] = {}

    @staticmethod
    def _key(message: Message) -> tuple[str, int]:
        return (message.id, len(message.text or ""))

    def _wire_of(self, messages: list[Message]) -> None:
        """Translate the messages not seen yet to their wire form, in one request's worth."""
        new = [m for m in messages if self._key(m) not in self._wire]
        if not new:
            return
        chats = [to_chat(m) for m in new]
        flat = [c for chat in chats for c in chat]
        wire = wire_request("openai", LLMRequest(model=self.model, messages=flat), stream=False)["messages"]
        start = 0
        for message, chat in zip(new, chats):
            self._wire[self._key(message)] = wire[start : start + len(chat)]
            start += len(chat)

    def message(self, message: Message) -> int:
        key = self._key(message)
        if key not in self._messages:
            self._wire_of([message])
            self._messages[key] = sum(count_wire_message(m, self.model) for m in self._wire[key])
        return self._messages[key]

    def tools(self, tools: list[ToolSpec]) -> int:
        key = tuple(t.name for t in tools)
        if key not in self._tools:
            wire = wire_request("openai", LLMRequest(model=self.model, messages=[], tools=tools), stream=False)
            self._tools[key] = count_tools(wire.get("tools"), self.model)
        return self._tools[key]

    def request(self, messages: list[Message], tools: list[ToolSpec]) -> int:
        self._wire_of(messages)
        return sum(self.message(m) for m in messages) + self.tools(tools) + REPLY_PRIMING

    def bound(self, message: Message) -> int:
        """At least as many as `message(message)`, without tokenizing: each value counts its UTF-8 bytes."""
        key = self._key(message)
        if key not in self._bounds:
            self._wire_of([message])
            self._bounds[key] = sum(_wire_byte_bound(m) for m in self._wire[key])
        return self._bounds[key]

    def fits(self, messages: list[Message], tools: list[ToolSpec], limit: float) -> bool:
        """Whether the request stays within `limit` tokens. When the byte bound of the request is already
        under the limit, no tokenizing is needed."""
        self._wire_of(messages)
        upper = sum(self.bound(m) for m in messages) + self.tools_bound(tools) + REPLY_PRIMING
        return upper <= limit or self.request(messages, tools) <= limit

    def tools_bound(self, tools: list[ToolSpec]) -> int:
        """At least as many as `tools(tools)`, without tokenizing: the UTF-8 bytes of each schema's JSON. A send
        that fits by bytes never loads a vocabulary (tens of MiB resident) nor spends time encoding."""
        key = ("bound", *(t.name for t in tools))
        if key not in self._tools:
            wire = wire_request("openai", LLMRequest(model=self.model, messages=[], tools=tools), stream=False)
            self._tools[key] = sum(_byte_length(compact_json(tool)) for tool in wire.get("tools") or [])
        return self._tools[key]


def _byte_length(text: str) -> int:
    return len(text) if text.isascii() else len(text.encode())


def _wire_byte_bound(message: dict) -> int:
    """count_wire_message's method with each value's tokens replaced by its byte count (a token is never empty)."""
    total = TOKENS_PER_MESSAGE
    for key, value in message.items():
        if value is None:
            continue
        total += _byte_length(value if isinstance(value, str) else compact_json(value))
        if key == "name":
            total += TOKENS_PER_NAME
    return total
