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

from asgiref.sync import sync_to_async
from django.conf import settings
from django.utils import timezone

from agents.compaction_settings import CompactionSettings
from agents.llm import ChatMessage, LLMError, LLMRequest, ProviderCall
from agents.models import Message, ProviderTrace
from agents.providers import ModelConfigError, aresolve
from agents.runtime import persist
from agents.runtime.emitter import Emitter, Stop
from agents.runtime.state import RunState
from agents.runtime.transcript import format_time, text_of
from agents.tokens import count_text

TRIGGER_FRACTION = 0.9  # compact when the request would pass this share of the window
KEEP_FRACTION = 0.3  # the newest messages kept verbatim fill at most this share of it
SUMMARIZER_FRACTION = 0.6  # a summarizer request's transcript stays under this share of the window
CHUNK_CLIP_CHARS = 5_000  # one tool return or message inside a transcript is clipped to this
SUMMARY_MAX_TOKENS = 1024  # a summary's length cap; at most SUMMARY_FRACTION of the summarizer's window
SUMMARY_FRACTION = 0.1

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


def plan(
    buffer: list[Message],
    counts: list[int],
    window: int,
    keep_tokens: int | None = None,
    *,
    pending_turn_tokens: int | None = None,
) -> Plan | None:
    """The smallest eviction that brings the kept tail under `keep_tokens` (default KEEP_FRACTION of the
    window), or None if nothing can be evicted. `counts[i]` is the token count of buffer[i].

    `pending_turn_tokens` is set when the newest turn is not stored yet (a user's message waiting for its first
    step to succeed): that turn is the one kept, so every stored message may go, and its size counts in the tail."""
    start = 1
    boundaries = [i for i in range(start, len(buffer)) if _safe_boundary(buffer[i])]
    if pending_turn_tokens is not None:
        latest, tail = len(buffer), pending_turn_tokens
    else:
        users = [i for i in boundaries if buffer[i].role == "user"]
        # The newest turn is always kept: from its user message on (else from the last boundary).
        latest = users[-1] if users else (boundaries[-1] if boundaries else start)
        tail = sum(counts[latest:])
    if latest <= start:
        return None
    budget = int(window * KEEP_FRACTION) if keep_tokens is None else keep_tokens
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
            lines.append(f"previous summary: {summary_body(text)}")
            continue
        if message.role in ("user", "assistant") and text:
            lines.append(f"{message.role}: {_clip(text)}")
        for call in message.tool_calls or []:
            lines.append(f"assistant called {call['function']['name']}({_clip(call['function']['arguments'])})")
        for ret in message.tool_returns or []:
            lines.append(
                f"tool {ret.get('tool_name') or ''} returned [{ret['status']}]: {_clip(str(ret['func_response']))}"
            )
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


def summary_cap(window: int) -> int:
    """The most tokens a summary may take: a small window keeps room for the conversation that follows it."""
    return max(64, min(SUMMARY_MAX_TOKENS, int(window * SUMMARY_FRACTION)))


def summarizer_request(
    model: str,
    previous: str | None,
    lines: list[str],
    prompt: str = SUMMARIZER_PROMPT,
    max_tokens: int = SUMMARY_MAX_TOKENS,
) -> LLMRequest:
    parts = []
    if previous:
        parts.append(f"Previous summary:\n{previous}\n")
    parts.append("Messages leaving the context window:\n" + "\n".join(lines))
    return LLMRequest(
        model=model,
        messages=[
            ChatMessage(role="system", content=prompt),
            ChatMessage(role="user", content="\n".join(parts)),
        ],
        max_tokens=max_tokens,
    )


async def summarize(
    client,
    model: str,
    messages: list[Message],
    window: int,
    calls: list[ProviderCall] | None = None,
    prompt: str = SUMMARIZER_PROMPT,
) -> str:
    """Summarize messages (the first may be the previous summary), chunk by chunk when they are too large.
    Each model call made (also one that fails) is appended to `calls`, for its trace."""
    calls = [] if calls is None else calls
    previous = None
    if messages and messages[0].role == "summary":
        previous = summary_body(text_of(messages[0].content))
        messages = messages[1:]
    cap = summary_cap(window)
    budget = max(int(window * SUMMARIZER_FRACTION) - count_text(prompt, model).tokens - cap, 256)
    summary = previous
    for piece in chunks(transcript_lines(messages), model, budget):
        calls.append(call := ProviderCall())
        response = await client.complete(summarizer_request(model, summary, piece, prompt, cap), call=call)
        summary = (response.content or "").strip() or summary
    return summary or ""


SUMMARY_NOTE = (
    "Note: {hidden} prior messages with the user have been hidden from view due to conversation "
    "memory constraints. They are still in recall memory (conversation_search finds them). "
    "The following is a summary of the previous messages:\n"
)


def summary_text(summary: str, hidden: int, stats: dict) -> str:
    return json.dumps(
        {
            "type": "system_alert",
            "message": SUMMARY_NOTE.format(hidden=hidden) + summary,
            "time": format_time(timezone.now()),
            "compaction_stats": stats,
        },
        ensure_ascii=False,
    )


def summary_body(text: str) -> str:
    """The summary itself, out of a stored summary message."""
    try:
        message = json.loads(text)["message"]
    except (ValueError, KeyError, TypeError):
        return text
    _, _, body = message.partition("The following is a summary of the previous messages:\n")
    return body or message


# ------------------------------------------------------------------------------------------ in a run


async def compact(
    state: RunState,
    model,
    emit: Emitter,
    *,
    trigger: str = "budget",
    step_id: str | None = None,
    pending_rows: list[Message] = (),
    window_hint: int | None = None,
) -> Stop | None:
    """Summarize the oldest part of the buffer into the summary message. Nothing to evict is not an error:
    the caller finds out whether what remains fits. Asked for by a person ("manual"), at least half of the
    context is summarized even when it is far from the budget. The summarizer's calls are kept as traces of
    the run (and of `step_id`, the step that needed the room, if any). `pending_rows` are the step's input not
    stored yet: when they begin a new turn (a user's message), every stored turn may be summarized.
    `window_hint` is a smaller window than the agent's that the provider turned out to enforce (it refused a
    request as too long): what is kept is sized to it."""
    chosen_settings = CompactionSettings.of(state.agent)
    counts = [state.ledger.message(m) for m in state.buffer]
    window = min(state.context_window, window_hint) if window_hint else state.context_window
    keep_fraction = chosen_settings.keep_fraction
    keep = int(window * keep_fraction) if keep_fraction is not None else None
    if trigger == "manual":
        share = KEEP_FRACTION if keep_fraction is None else keep_fraction
        keep = min(int(window * share), sum(counts[1:]) // 2)
    pending_turn = sum(state.ledger.message(m) for m in pending_rows) if _starts_turn(pending_rows) else None
    chosen = plan(state.buffer, counts, window, keep, pending_turn_tokens=pending_turn)
    if chosen is None:
        return None
    calls: list[ProviderCall] = []
    try:
        summarizer, summarizer_window = await _summarizer(model, window, chosen_settings, state.organization_id)
        summary = await summarize(
            summarizer.client,
            summarizer.model,
            state.buffer[chosen.start : chosen.cut],
            summarizer_window,
            calls,
            chosen_settings.prompt or SUMMARIZER_PROMPT,
        )
        summary = chosen_settings.clip(summary)
    except ModelConfigError as exc:
        return Stop("error", {"error_type": "invalid_compaction_settings", "message": f"Compaction failed: {exc}"})
    except LLMError as exc:
        await sync_to_async(persist.store_traces)(state, calls, step_id, ProviderTrace.CallType.SUMMARIZATION)
        return Stop(
            "llm_api_error",
            {"error_type": exc.error_type, "message": f"Compaction failed: {exc.message}", "detail": exc.detail},
        )
    before = sum(counts)
    stats = {
        "trigger": trigger,
        "messages_before": len(state.buffer),
        "evicted_messages": chosen.evicted,
        "context_tokens_before": before,
        "context_window": state.context_window,
    }
    summary_row = await sync_to_async(persist.persist_compaction)(
        state, cut=chosen.cut, summary=summary, stats=stats, calls=calls, step_id=step_id
    )
    stats["messages_after"] = len(state.buffer)
    stats["context_tokens_after"] = sum(state.ledger.message(m) for m in state.buffer)
    await _tell(state, emit, summary_row, summary, stats, step_id)
    return None


def _starts_turn(rows: list[Message]) -> bool:
    # Only a user's message: a pending tool return or approval answer needs the call it answers kept.
    return bool(rows) and rows[0].role == "user"


async def _tell(state: RunState, emit: Emitter, summary_row: Message, summary: str, stats: dict, step_id) -> None:
    """The ADE's chat always hears of a compaction; a response (the Letta stream) only when the request set
    `include_compaction_messages`, as Letta's event_message and summary_message."""
    date = summary_row.created_at.isoformat()
    base = {"run_id": state.run_id, "step_id": step_id, "date": date}
    event = {"id": summary_row.id, "message_type": "event_message", "event_type": "compaction", "event_data": stats}
    if not state.options.include_compaction_messages:
        await emit.page_only({**event, **base})
        return
    compaction_stats = {
        "trigger": stats["trigger"],
        "context_window": stats["context_window"],
        "messages_count_before": stats["messages_before"],
        "messages_count_after": stats["messages_after"],
        "context_tokens_before": stats["context_tokens_before"],
        "context_tokens_after": stats["context_tokens_after"],
    }
    told = [
        {**event, **base},
        {
            "id": summary_row.id,
            "message_type": "summary_message",
            "summary": summary,
            "compaction_stats": compaction_stats,
            **base,
        },
    ]
    for item in told:
        state.messages_out.append(item)
        await emit(item)


async def _summarizer(model, context_window: int, chosen: "CompactionSettings", organization_id: str):
    """The model that writes the summary and the window its requests must fit: the agent's compaction_settings
    model, else LETTA_SUMMARIZER_MODEL, each with its own window; else the agent's model within the agent's window."""
    handle = chosen.model or settings.SUMMARIZER_MODEL
    if handle:
        summarizer = await aresolve(handle, organization_id)
        return summarizer, summarizer.context_window
    return model, context_window


async def check_floor(state: RunState, request: LLMRequest, pending_rows: list[Message]) -> Stop | None:
    """Stop when even the system prompt, memory and tools leave no room for the conversation."""
    floor = state.ledger.message(state.buffer[0]) + state.ledger.tools(request.tools)
    if floor <= state.context_window * TRIGGER_FRACTION:
        return None
    largest = await sync_to_async(_largest_blocks)(list(state.blocks.values()))
    return Stop(
        "context_window_overflow_in_system_prompt",
        {
            "error_type": "context_window_overflow_in_system_prompt",
            "message": (
                f"The system prompt, memory blocks and tool schemas take {floor:,} tokens, over 90% of this "
                f"agent's context window of {state.context_window:,}. Largest blocks: {largest}. Shorten "
                "them, detach tools, or raise context_window_limit."
            ),
            "detail": None,
        },
    )


def _largest_blocks(block_ids: list[str]) -> str:
    from memory.models import Block

    sized = sorted(
        ((len(v), label) for label, v in Block.objects.filter(id__in=block_ids).values_list("label", "value")),
        reverse=True,
    )
    return ", ".join(f"'{label}' ({size:,} characters)" for size, label in sized[:3]) or "none"
