"""Shared test helpers for agents.llm."""

from __future__ import annotations

from agents.llm import Delta


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
