"""How many tokens the next request will take, counted the way the context window overview counts them.

Counts are kept per message for the life of a run, so checking the budget before each step costs only the
messages that are new since the last step.
"""

import json

from agents.llm import LLMRequest, ToolSpec
from agents.llm.preview import wire_request
from agents.models import Message
from agents.runtime.transcript import to_chat
from agents.tokens import REPLY_PRIMING, count_tools, count_wire_message


class TokenLedger:
    def __init__(self, model: str):
        self.model = model
        self._messages: dict[tuple[str, int], int] = {}
        self._tools: dict[tuple[str, ...], int] = {}

    def message(self, message: Message) -> int:
        key = (message.id, len(message.text or ""))
        if key not in self._messages:
            wire = wire_request("openai", LLMRequest(model=self.model, messages=to_chat(message)), stream=False)
            self._messages[key] = sum(count_wire_message(m, self.model) for m in wire["messages"])
        return self._messages[key]

    def tools(self, tools: list[ToolSpec]) -> int:
        key = tuple(t.name for t in tools)
        if key not in self._tools:
            wire = wire_request("openai", LLMRequest(model=self.model, messages=[], tools=tools), stream=False)
            self._tools[key] = count_tools(wire.get("tools"), self.model)
        return self._tools[key]

    def request(self, messages: list[Message], tools: list[ToolSpec]) -> int:
        return sum(self.message(m) for m in messages) + self.tools(tools) + REPLY_PRIMING

    def fits(self, messages: list[Message], tools: list[ToolSpec], limit: float) -> bool:
        """Whether the request stays within `limit` tokens. A token covers at least one byte, so when the
        bytes of the stored messages are already under the limit, no tokenizing is needed."""
        upper = sum(_byte_bound(m) for m in messages) + self.tools(tools) + REPLY_PRIMING
        return upper <= limit or self.request(messages, tools) <= limit


# What a message adds on the wire beyond its stored JSON: the role, the frame, the packaging of tool returns.
_WIRE_MARGIN = 64


def _byte_bound(message: Message) -> int:
    parts = (message.content, message.tool_calls, message.tool_returns)
    return sum(len(json.dumps(p, ensure_ascii=False).encode()) for p in parts if p) + _WIRE_MARGIN * (
        1 + len(message.tool_returns or []))
