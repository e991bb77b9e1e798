"""Reading a sandboxed process's output without letting it grow the server.

A stream is read in chunks as it arrives; at most `max_bytes` are kept, each line at most `max_line` bytes, and
everything past that is drained and only counted, so a tool printing a gigabyte (or one 100 MB line) costs the
server one chunk of memory. What was cut is said in a note at the end of the kept lines.
"""

import asyncio

CHUNK = 1 << 16


class BoundedText:
    def __init__(self, max_bytes: int, max_line: int):
        self.max_bytes = max_bytes
        self.max_line = max_line
        self._lines: list[bytearray] = [bytearray()]
        self.kept = 0
        self.dropped = 0

    def feed(self, data: bytes) -> None:
        start = 0
        while start < len(data):
            newline = data.find(b"\n", start)
            end = len(data) if newline < 0 else newline
            self._keep(data[start:end])
            if newline < 0:
                break
            if self.kept < self.max_bytes:
                self._lines.append(bytearray())
                self.kept += 1
            else:
                self.dropped += 1
            start = newline + 1

    def _keep(self, piece: bytes) -> None:
        line = self._lines[-1]
        room = min(self.max_line - len(line), self.max_bytes - self.kept)
        taken = piece[: max(room, 0)]
        line += taken
        self.kept += len(taken)
        self.dropped += len(piece) - len(taken)

    def lines(self) -> list[str]:
        lines = [bytes(line).decode(errors="replace") for line in self._lines]
        if lines and not lines[-1]:
            lines.pop()
        if self.dropped:
            lines.append(f"... [output cut: {self.dropped} more bytes]")
        return lines


async def drain(reader: asyncio.StreamReader, into: BoundedText) -> None:
    while chunk := await reader.read(CHUNK):
        into.feed(chunk)


async def read_capped(reader: asyncio.StreamReader, max_bytes: int) -> tuple[bytes, bool]:
    """Up to `max_bytes` of a channel, the rest drained: (bytes, whether anything was cut)."""
    kept = bytearray()
    cut = False
    while chunk := await reader.read(CHUNK):
        room = max_bytes - len(kept)
        kept += chunk[:room]
        cut = cut or len(chunk) > room
    return bytes(kept), cut
