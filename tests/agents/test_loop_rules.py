"""Tool rules, cancellation and crash safety, end to end through the loop."""

import asyncio

import pytest
from asgiref.sync import sync_to_async

from agents.models import Agent, Message, Run, Step
from agents.runtime import run_lifecycle
from agents.runtime.loop import run_agent
from memory.models import Block
from tests.fakes import Reply
from tests.waiting import await_until

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


async def test_run_first_forces_the_tool_on_the_first_step(make_agent, fake_openai):
    agent = await sync_to_async(make_agent)(
        tool_rules=[{"type": "run_first", "tool_name": "conversation_search", "args": {"query": "tea"}}]
    )
    fake_openai.script(Reply(tool_calls=[("conversation_search", {"query": "anything"})]), Reply(text="done"))

    result = await run_agent(agent.id, input="hello")

    first, second = fake_openai.requests
    assert first["tool_choice"] == {"type": "function", "function": {"name": "conversation_search"}}
    assert [t["function"]["name"] for t in first["tools"]] == ["conversation_search"]
    assert second["tool_choice"] == "auto" and len(second["tools"]) == 3
    assert result.stop_reason == "end_turn"


async def test_exit_loop_rule_ends_the_turn_after_that_tool(make_agent, fake_openai):
    agent = await sync_to_async(make_agent)(tool_rules=[{"type": "exit_loop", "tool_name": "memory_insert"}])
    fake_openai.script(Reply(tool_calls=[("memory_insert", {"label": "human", "new_string": "done"})]))

    result = await run_agent(agent.id, input="store and stop")

    assert result.stop_reason == "tool_rule"
    assert len(fake_openai.requests) == 1


async def test_continue_loop_rule_keeps_going_after_the_tool(make_agent, fake_openai):
    agent = await sync_to_async(make_agent)(tool_rules=[{"type": "continue_loop", "tool_name": "memory_insert"}])
    fake_openai.script(
        Reply(tool_calls=[("memory_insert", {"label": "human", "new_string": "x"})]), Reply(text="and now I answer")
    )

    result = await run_agent(agent.id, input="go")

    assert result.stop_reason == "end_turn" and len(fake_openai.requests) == 2


async def test_max_count_per_step_refuses_the_extra_call(make_agent, fake_openai):
    agent = await sync_to_async(make_agent)(
        parallel_tool_calls=True,
        tool_rules=[{"type": "max_count_per_step", "tool_name": "memory_insert", "max_count_limit": 1}],
    )
    fake_openai.script(
        Reply(
            tool_calls=[
                ("memory_insert", {"label": "human", "new_string": "first"}),
                ("memory_insert", {"label": "human", "new_string": "second"}),
            ]
        ),
        Reply(text="ok"),
    )

    result = await run_agent(agent.id, input="store two")

    returns = [m for m in result.messages if m["message_type"] == "tool_return_message"]
    assert [r["status"] for r in returns] == ["success", "error"]
    assert "ToolConstraintError" in returns[1]["tool_return"]
    value = (await Block.objects.aget(agents=agent, label="human")).value
    assert "first" in value and "second" not in value


async def test_unknown_tool_and_broken_json_arguments_reach_the_model_as_errors(make_agent, fake_openai):
    agent = await sync_to_async(make_agent)(parallel_tool_calls=True)
    fake_openai.script(
        Reply(tool_calls=[("launch_rockets", {}), ("memory_insert", '{"label": "human", "new_str')]),
        Reply(text="Sorry."),
    )

    result = await run_agent(agent.id, input="go")

    returns = [m for m in result.messages if m["message_type"] == "tool_return_message"]
    assert "launch_rockets" in returns[0]["tool_return"] and "does not exist" in returns[0]["tool_return"]
    assert "not valid JSON" in returns[1]["tool_return"]
    assert result.stop_reason == "end_turn"


async def test_arguments_with_a_raw_newline_inside_a_string_are_taken(make_agent, fake_openai):
    # Small open models (Gemma 3 270M behind llama.cpp) write line breaks into JSON strings unescaped.
    agent = await sync_to_async(make_agent)()
    fake_openai.script(
        Reply(tool_calls=[("memory_insert", '{"label": "human", "new_string": "Likes tea.\nLives in Oslo."}')]),
        Reply(text="Noted."),
    )

    result = await run_agent(agent.id, input="remember")

    returns = [m for m in result.messages if m["message_type"] == "tool_return_message"]
    assert returns[0]["status"] == "success", returns[0]["tool_return"]
    value = (await Block.objects.aget(agents=agent, label="human")).value
    assert "Likes tea.\nLives in Oslo." in value


async def test_cancel_stops_the_run_before_its_next_step(make_agent, fake_openai):
    agent = await sync_to_async(make_agent)()
    fake_openai.script(Reply(tool_calls=[("conversation_search", {"query": "x"})], delay=0.3), Reply(text="never"))

    task = asyncio.create_task(run_agent(agent.id, input="go"))
    await await_until(lambda: fake_openai.requests, message="the first step's model request")
    cancelled = await sync_to_async(run_lifecycle.request_cancel)(agent.id)
    result = await task

    assert result.stop_reason == "cancelled" and list(cancelled.values()) == ["cancelled"]
    assert (await Run.objects.aget(pk=result.run_id)).status == "cancelled"
    assert len(fake_openai.requests) == 1


async def test_a_crash_while_persisting_a_step_leaves_history_and_memory_as_before(
    make_agent, fake_openai, monkeypatch
):
    agent = await sync_to_async(make_agent)()
    before_ids = (await Agent.objects.aget(pk=agent.pk)).message_ids
    before_count = await Message.objects.filter(agent=agent).acount()
    fake_openai.script(Reply(tool_calls=[("memory_insert", {"label": "human", "new_string": "lost"})]))

    # Fault injection: the database write that closes the step fails after the memory edit and messages
    # were written in the same transaction.
    def crash(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(Step.objects, "create", crash)
    result = await run_agent(agent.id, input="remember")

    assert result.stop_reason == "error" and "disk on fire" in result.error["message"]
    assert "lost" not in (await Block.objects.aget(agents=agent, label="human")).value
    assert (await Agent.objects.aget(pk=agent.pk)).message_ids == before_ids
    # Only what the user sent is kept, in the history, outside the context window.
    assert await Message.objects.filter(agent=agent).acount() == before_count + 1
    assert await Message.objects.filter(agent=agent, run_id=result.run_id, role="user", text="remember").aexists()
    run = await Run.objects.aget(pk=result.run_id)
    assert run.status == "failed"

    # the agent is usable again and its next request is valid for the provider
    monkeypatch.undo()
    fake_openai.script(Reply(text="fine"))
    again = await run_agent(agent.id, input="hello")
    assert again.stop_reason == "end_turn"
    assert [m["role"] for m in fake_openai.last_request["messages"]] == ["system", "user"]


async def test_a_crash_after_an_approved_tool_ran_leaves_its_memory_edit_undone(make_agent, fake_openai, monkeypatch):
    agent = await sync_to_async(make_agent)(tool_rules=[{"type": "requires_approval", "tool_name": "memory_insert"}])
    fake_openai.script(Reply(tool_calls=[("memory_insert", {"label": "human", "new_string": "lost"})]))
    request = (await run_agent(agent.id, input="remember")).messages[-1]
    before_ids = (await Agent.objects.aget(pk=agent.pk)).message_ids
    before_count = await Message.objects.filter(agent=agent).acount()

    # Fault injection: the approved memory_insert has run, and the write that closes the answer fails.
    def crash(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(Agent, "append_to_context", crash)
    call_id = request["tool_call"]["tool_call_id"]
    approve = [{"type": "approval", "approvals": [{"type": "approval", "tool_call_id": call_id, "approve": True}]}]
    result = await run_agent(agent.id, approve)

    assert result.stop_reason == "error" and "disk on fire" in result.error["message"]
    assert "lost" not in (await Block.objects.aget(agents=agent, label="human")).value
    assert (await Agent.objects.aget(pk=agent.pk)).message_ids == before_ids
    assert await Message.objects.filter(agent=agent).acount() == before_count
