"""Compaction: when the context nears the agent's budget, older messages are summarized and the summary takes
their place. The evicted messages stay stored (recall memory, searchable); memory blocks are never touched.

Rules it keeps (each a lesson from Letta's users):
- a tool call is never separated from its returns: the kept tail starts at a user or assistant message;
- the newest turn is always kept, so compaction never wipes the buffer, and a pending approval stays;
- the previous summary is summarized again with the evicted messages (recursive summaries);
- the summarizer call has its own budget: a transcript too large for the model is summarized in chunks.
"""

import json
from dataclasses import dataclass

from django.utils import timezone

from agents.llm import ChatMessage, LLMRequest
from agents.models import Message
from agents.runtime.transcript import format_time, text_of
from agents.tokens import count_text

TRIGGER_FRACTION = 0.9  # compact when the request would pass this share of the window
KEEP_FRACTION = 0.3  # the newest messages kept verbatim fill at most this share of it
SUMMARIZER_FRACTION = 0.6  # a summarizer request's transcript stays under this share of the window
CHUNK_CLIP_CHARS = 5_000  # one tool return or message inside a transcript is clipped to this

SUMMARIZER_PROMPT = """You maintain the running summary of a conversation between an AI agent and a user, \
for the agent's own later use. You are given the previous summary (if any) and the messages that are now \
leaving the agent's context window. Write a new summary that replaces the old one: keep every fact, decision, \
open question, promise and piece of user preference; keep names, numbers and dates exactly; note what tools did \
and what they returned when it matters later. Drop small talk. Write in the third person, in plain prose, and \
stay under 400 words. Reply with the summary only."""


@dataclass(frozen=True, slots=True)
class Plan:
    """Which part of the buffer to summarize: buffer[start:cut] (start is 1, past the system message)."""

    start: int
    cut: int

    @property
    def evicted(self) -> int:
        return self.cut - self.start


def _safe_boundary(message: Message) -> bool:
    """A kept tail may start here without orphaning a tool return or an approval answer."""
    if message.role in ("user", "summary"):
        return True
    return message.role in ("assistant", "approval") and bool(message.tool_calls or text_of(message.content))


def plan(buffer: list[Message], counts: list[int], window: int) -> Plan | None:
    """The smallest eviction that brings the kept tail under KEEP_FRACTION of the window, or None if nothing
    can be evicted. `counts[i]` is the token count of buffer[i]."""
    start = 1
    boundaries = [i for i in range(start, len(buffer)) if _safe_boundary(buffer[i])]
    users = [i for i in boundaries if buffer[i].role == "user"]
    # The newest turn is always kept: from its user message on (else from the last boundary).
    latest = users[-1] if users else (boundaries[-1] if boundaries else start)
    if latest <= start:
        return None
    budget = int(window * KEEP_FRACTION)
    tail = sum(counts[latest:])
    cut = latest
    for i in range(latest - 1, start, -1):
        tail += counts[i]
        if tail > budget:
            break
        if i in boundaries:
            cut = i
    return Plan(start=start, cut=cut)


def transcript_lines(messages: list[Message]) -> list[str]:
    lines = []
    for message in messages:
        text = text_of(message.content)
        if message.role == "summary":
            lines.append(f"previous summary: {_summary_body(text)}")
            continue
        if message.role in ("user", "assistant") and text:
            lines.append(f"{message.role}: {_clip(text)}")
        for call in message.tool_calls or []:
            lines.append(f"assistant called {call['function']['name']}({_clip(call['function']['arguments'])})")
        for ret in message.tool_returns or []:
            lines.append(f"tool {ret.get('tool_name') or ''} returned [{ret['status']}]: {_clip(str(ret['func_response']))}")
    return lines


def _clip(text: str) -> str:
    if len(text) <= CHUNK_CLIP_CHARS:
        return text
    return text[:CHUNK_CLIP_CHARS] + f"... [{len(text) - CHUNK_CLIP_CHARS} more characters]"


def chunks(lines: list[str], model: str, budget_tokens: int) -> list[list[str]]:
    """Split a transcript into pieces that each fit the summarizer's budget."""
    out: list[list[str]] = [[]]
    used = 0
    for line in lines:
        size = count_text(line, model).tokens
        if out[-1] and used + size > budget_tokens:
            out.append([])
            used = 0
        out[-1].append(line)
        used += size
    return [chunk for chunk in out if chunk]


def summarizer_request(model: str, previous: str | None, lines: list[str]) -> LLMRequest:
    parts = []
    if previous:
        parts.append(f"Previous summary:\n{previous}\n")
    parts.append("Messages leaving the context window:\n" + "\n".join(lines))
    return LLMRequest(
        model=model,
        messages=[ChatMessage(role="system", content=SUMMARIZER_PROMPT), ChatMessage(role="user", content="\n".join(parts))],
        max_tokens=1024,
    )


async def summarize(client, model: str, messages: list[Message], window: int) -> str:
    """Summarize messages (the first may be the previous summary), chunk by chunk when they are too large."""
    previous = None
    if messages and messages[0].role == "summary":
        previous = _summary_body(text_of(messages[0].content))
        messages = messages[1:]
    budget = max(int(window * SUMMARIZER_FRACTION) - count_text(SUMMARIZER_PROMPT, model).tokens - 1024, 256)
    summary = previous
    for piece in chunks(transcript_lines(messages), model, budget):
        response = await client.complete(summarizer_request(model, summary, piece))
        summary = (response.content or "").strip() or summary
    return summary or ""


SUMMARY_NOTE = ("Note: {hidden} prior messages with the user have been hidden from view due to conversation "
                "memory constraints. They are still in recall memory (conversation_search finds them). "
                "The following is a summary of the previous messages:\n")


def summary_text(summary: str, hidden: int, stats: dict) -> str:
    return json.dumps(
        {"type": "system_alert", "message": SUMMARY_NOTE.format(hidden=hidden) + summary,
         "time": format_time(timezone.now()), "compaction_stats": stats},
        ensure_ascii=False,
    )


def _summary_body(text: str) -> str:
    """The summary itself, out of a stored summary message."""
    try:
        message = json.loads(text)["message"]
    except (ValueError, KeyError, TypeError):
        return text
    _, _, body = message.partition("The following is a summary of the previous messages:\n")
    return body or message
