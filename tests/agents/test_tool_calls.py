"""The loop's tool stage alone: planning the calls a model asked for and executing the server-side ones."""

import json

import pytest
from django.db import transaction

from agents import services
from agents.llm import ToolCall
from agents.models import Message
from agents.runtime.persist import denied_return
from agents.runtime.state import load_run_state
from agents.runtime.tool_calls import execute_calls, plan_calls
from memory.models import Block

pytestmark = pytest.mark.django_db


@pytest.fixture
def state(org):
    agent = services.create_agent(
        organization_id=org.id,
        name="tools",
        model="openai/gpt-4.1-mini",
        memory_blocks=[{"label": "human", "value": "Name: Ada"}],
    )
    return load_run_state(agent, "run-test", max_steps=1, stream_tokens=False, client_tools=None)


def call(call_id: str, name: str, **arguments) -> ToolCall:
    return ToolCall(id=call_id, name=name, arguments=json.dumps(arguments))


def human(state) -> Block:
    return Block.objects.get(pk=state.blocks["human"])


def test_execute_calls_runs_the_built_in_tools_and_says_which_blocks_changed(state):
    planned = plan_calls(
        state,
        [
            call("call-1", "memory_insert", label="human", new_string="Likes tea"),
            call("call-2", "conversation_search", query="tea"),
        ],
    )
    messages_before = Message.objects.count()

    with transaction.atomic():
        calls = execute_calls(state, planned, "step-1")

    assert calls.ran == ["memory_insert", "conversation_search"]
    assert calls.changed_block_ids == [state.blocks["human"]]
    assert [(r["tool_call_id"], r["status"]) for r in calls.returns] == [("call-1", "success"), ("call-2", "success")]
    assert human(state).value == "Name: Ada\nLikes tea"
    revision = human(state).revisions.get(version=2)
    assert (revision.step_id, revision.tool_call_id, revision.tool_name) == ("step-1", "call-1", "memory_insert")
    assert Message.objects.count() == messages_before  # storing the returns is the persist stage's


def test_a_decided_call_takes_the_persons_answer_and_does_not_run(state):
    planned = plan_calls(state, [call("call-1", "memory_insert", label="human", new_string="Likes tea")])
    denied = denied_return("call-1", "memory_insert", "not now")

    with transaction.atomic():
        calls = execute_calls(state, planned, None, {"call-1": denied})

    assert calls.returns == [denied] and calls.ran == [] and calls.changed_block_ids == []
    assert human(state).value == "Name: Ada"


def test_a_refused_call_returns_its_error_and_changes_nothing(state):
    planned = plan_calls(
        state,
        [
            call("call-1", "no_such_tool"),
            call("call-2", "memory_replace", label="human", old_string="x", new_string="y"),
        ],
    )

    with transaction.atomic():
        calls = execute_calls(state, planned, "step-1")

    assert [r["status"] for r in calls.returns] == ["error", "error"]
    assert "Tool 'no_such_tool' does not exist" in calls.returns[0]["func_response"]
    assert calls.ran == ["memory_replace"] and calls.changed_block_ids == []
    assert human(state).version == 1
