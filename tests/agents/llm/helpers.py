"""Shared test helpers for agents.llm."""

from __future__ import annotations

from agents.llm import Delta, ToolSpec

# The one tool the provider tests offer the model.
WEATHER = ToolSpec(
    "get_weather",
    "Weather for a city.",
    {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
)


class Recorder:
    """An on_delta that keeps every piece it is given."""

    def __init__(self) -> None:
        self.deltas: list[Delta] = []

    async def __call__(self, delta: Delta) -> None:
        self.deltas.append(delta)

    def texts(self, kind: str) -> list[str]:
        return [d.text for d in self.deltas if d.kind == kind]

    def tool_pieces(self) -> list[Delta]:
        return [d for d in self.deltas if d.kind == "tool_call"]
