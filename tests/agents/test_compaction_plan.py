"""Choosing what to evict: pure logic over unsaved messages."""

import json

from agents.models import Message
from agents.runtime.compaction import Plan, chunks, plan, summary_body, summary_text, transcript_lines


def msg(role, text="", calls=None, returns=None):
    content = [{"type": "text", "text": text}] if text else []
    return Message(role=role, content=content, text=text, tool_calls=calls, tool_returns=returns)


def call(name="memory_insert", call_id="c1"):
    return [{"id": call_id, "type": "function", "function": {"name": name, "arguments": "{}"}}]


def ret(call_id="c1"):
    return [{"tool_call_id": call_id, "tool_name": "memory_insert", "status": "success", "func_response": "ok"}]


def conversation(turns):
    buffer = [msg("system", "sys")]
    for i in range(turns):
        buffer += [
            msg("user", f"u{i}"),
            msg("assistant", calls=call(call_id=f"c{i}")),
            msg("tool", returns=ret(f"c{i}")),
            msg("assistant", f"a{i}"),
        ]
    return buffer


def test_eviction_never_splits_a_tool_call_from_its_return():
    buffer = conversation(10)
    counts = [10] * len(buffer)
    chosen = plan(buffer, counts, window=300)
    assert chosen.start == 1
    kept = buffer[chosen.cut :]
    assert sum(counts[chosen.cut :]) <= 90  # 30% of the window
    called = {c["id"] for m in kept for c in m.tool_calls or []}
    answered = {r["tool_call_id"] for m in kept for r in m.tool_returns or []}
    assert answered <= called and called <= answered
    assert kept[0].role != "tool"


def test_the_newest_turn_is_kept_even_when_it_alone_is_over_budget():
    buffer = conversation(3)
    counts = [10] * len(buffer)
    counts[-1] = 10_000
    chosen = plan(buffer, counts, window=100)
    assert buffer[chosen.cut].role == "user" and buffer[chosen.cut].text == "u2"


def test_nothing_to_evict_with_a_single_turn():
    buffer = [msg("system", "sys"), msg("user", "hi"), msg("assistant", "hello")]
    assert plan(buffer, [5, 5, 5], window=10) is None


def test_a_single_stored_turn_can_go_when_a_new_message_waits_to_be_sent():
    # The user's new message is not stored until its first step succeeds: it is the turn kept, so a provider
    # that finds the request too long after one long earlier turn still gets room.
    buffer = [msg("system", "sys"), msg("user", "a long note"), msg("assistant", "ok")]
    chosen = plan(buffer, [5, 5000, 5], window=10_000, pending_turn_tokens=5000)
    assert chosen == Plan(start=1, cut=3)


def test_a_small_waiting_message_keeps_the_newest_stored_turns_that_fit():
    buffer = conversation(3)
    chosen = plan(buffer, [10] * len(buffer), window=100, pending_turn_tokens=5)
    # 30% of 100 is 30 tokens: the waiting message's 5 and the last answer's 10 fit; the tool return before it
    # would fit too, but a kept tail never starts at a return.
    assert buffer[chosen.cut :] == buffer[-1:] and buffer[-1].text == "a2"


def test_previous_summary_is_part_of_the_evicted_range():
    buffer = conversation(6)
    buffer.insert(1, msg("summary", summary_text("Ada likes tea.", hidden=12, stats={})))
    chosen = plan(buffer, [10] * len(buffer), window=100)
    assert chosen == Plan(start=1, cut=chosen.cut) and chosen.cut > 2
    lines = transcript_lines(buffer[chosen.start : chosen.cut])
    assert lines[0] == "previous summary: Ada likes tea."


def test_transcript_keeps_tool_calls_and_returns():
    lines = transcript_lines(conversation(1)[1:])
    assert lines == [
        "user: u0",
        "assistant called memory_insert({})",
        "tool memory_insert returned [success]: ok",
        "assistant: a0",
    ]


def test_chunks_respect_the_budget():
    lines = [f"user: message number {i} " + "word " * 50 for i in range(40)]
    pieces = chunks(lines, "gpt-4.1-mini", budget_tokens=300)
    assert len(pieces) > 5 and sum(len(p) for p in pieces) == 40


def test_summary_message_round_trips():
    text = summary_text("The user is Ada.", hidden=7, stats={"evicted": 7})
    assert json.loads(text)["type"] == "system_alert" and "7 prior messages" in text
    assert summary_body(text) == "The user is Ada."


def test_the_byte_bound_never_undercounts():
    from agents.runtime.budget import TokenLedger

    ledger = TokenLedger("gpt-4.1-mini")
    messages = conversation(5) + [msg("user", "ünïcödé ✓ " * 40), msg("assistant", "1234567890" * 30)]
    for index, message in enumerate(messages):
        message.id = f"message-{index}"
    exact = ledger.request(messages, [])
    assert ledger.fits(messages, [], exact) and not ledger.fits(messages, [], exact - 1)


def test_a_pending_approval_is_never_evicted():
    buffer = conversation(6) + [msg("user", "please delete the file"), msg("approval", calls=call("rm", "c-last"))]
    chosen = plan(buffer, [10] * len(buffer), window=40)
    kept = buffer[chosen.cut :]
    assert kept[-1].role == "approval" and kept[-1].tool_calls[0]["id"] == "c-last"
    assert kept[0].text == "please delete the file"


def test_the_byte_bound_of_tools_never_undercounts_and_a_fitting_request_loads_no_vocabulary():
    from agents import tokens
    from agents.llm import ToolSpec
    from agents.runtime.budget import TokenLedger

    tools = [
        ToolSpec(name="note", description="Write a note ✓ " * 10, parameters={"type": "object", "properties": {}}),
        ToolSpec(name="search", description="Search the notes.", parameters={"type": "object", "properties": {}}),
    ]
    ledger = TokenLedger("gpt-4.1-mini")
    messages = conversation(3)
    for index, message in enumerate(messages):
        message.id = f"message-{index}"
    assert ledger.tools_bound(tools) >= ledger.tools(tools)
    exact = ledger.request(messages, tools)
    assert ledger.fits(messages, tools, exact) and not ledger.fits(messages, tools, exact - 1)

    tokens._encoding_named.cache_clear()
    fresh = TokenLedger("gpt-4.1-mini")
    assert fresh.fits(messages, tools, 1_000_000)
    assert tokens._encoding_named.cache_info().currsize == 0  # the bytes showed it fits: nothing was tokenized
