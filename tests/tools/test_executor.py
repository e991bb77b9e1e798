import json
import re

import pytest

from accounts.models import Organization
from memory import services
from memory.models import Block
from memory.services import EditActor
from tools import builtin
from tools.context import ToolContext
from tools.executor import execute_builtin


@pytest.fixture
def ctx(db):
    org = Organization.default()
    block = services.create_block(organization_id=org.id, label="human", value="Name: Ada", actor=EditActor.api())
    return ToolContext(
        organization_id=org.id,
        agent_id="agent-1",
        blocks={"human": block.id},
        search_messages=lambda *args: [{"role": "user", "content": "x" * 500}],
    )


def run(name, arguments, ctx, limit=50_000):
    return execute_builtin(name, arguments, ctx, return_char_limit=limit)


def test_unknown_tool(ctx):
    result = run("fly", {}, ctx)
    assert result.status == "error" and result.func_return.startswith("Error: 'fly' is not a built-in tool.")


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (
            {"label": "human"},
            "Error: memory_insert() missing required argument 'new_string'. It takes: label (string), "
            "new_string (string), insert_line (integer, optional).",
        ),
        ({"label": "human", "new_string": "x", "line": 2}, "unexpected argument 'line'"),
        (
            {"label": "human", "new_string": "x", "insert_line": "two"},
            "argument 'insert_line' must be an integer, got string",
        ),
        ({"label": None, "new_string": "x"}, "argument 'label' must be a string, got null"),
        ("not an object", "Error: memory_insert() takes its arguments as a JSON object."),
    ],
)
def test_bad_arguments_name_the_parameter(ctx, arguments, message):
    result = run("memory_insert", arguments, ctx)
    assert result.status == "error" and message in result.func_return
    assert Block.objects.get(pk=ctx.blocks["human"]).version == 1


def test_lenient_integers_and_null_optionals(ctx):
    assert run("memory_insert", {"label": "human", "new_string": "Top", "insert_line": "0"}, ctx).ok
    assert run("memory_insert", {"label": "human", "new_string": "End", "insert_line": None}, ctx).ok
    assert Block.objects.get(pk=ctx.blocks["human"]).value == "Top\nName: Ada\nEnd"


def test_tool_name_defaults_to_the_called_tool(ctx):
    ctx.tool_name = None
    assert run("memory_rethink", {"label": "human", "new_memory": "Name: Bo"}, ctx).ok
    revision = Block.objects.get(pk=ctx.blocks["human"]).revisions.last()
    assert revision.tool_name == "memory_rethink" and revision.agent_id == "agent-1"


def test_long_returns_are_truncated_except_for_search_tools(ctx):
    result = run("core_memory_append", {"label": "human", "content": "y" * 200}, ctx, limit=100)
    kept, note = result.func_return[:100], result.func_return[100:]
    match = re.fullmatch(
        r"\.\.\. \[NOTE: function output was truncated since it exceeded the character limit "
        r"\((\d+) > 100\)\]",
        note,
    )
    assert result.ok and kept.startswith("The core memory block") and match and int(match[1]) > 300

    search = run("conversation_search", {"query": "x"}, ctx, limit=100)
    assert search.ok and json.loads(search.func_return)["results"][0]["content"] == "x" * 500


def test_unexpected_exceptions_become_error_results(ctx, monkeypatch):
    def send_message(ctx, message: str) -> str:
        """Broken.

        Args:
            message: text
        """
        raise RuntimeError("disk on fire " + "!" * 2000)

    monkeypatch.setitem(builtin.BUILTIN_TOOLS, "send_message", send_message)
    result = run("send_message", {"message": "hi"}, ctx)

    assert result.status == "error"
    assert result.func_return.startswith("Error executing function send_message: RuntimeError: disk on fire")
    assert len(result.func_return) == 1000 and result.stderr == [result.func_return]


def test_a_failing_tool_leaves_no_partial_write(ctx, monkeypatch):
    def send_message(ctx, message: str) -> str:
        """Writes, then fails.

        Args:
            message: text
        """
        services.memory_rethink(ctx.blocks["human"], "half-done", actor=EditActor.agent("agent-1"))
        raise ValueError("second half failed")

    monkeypatch.setitem(builtin.BUILTIN_TOOLS, "send_message", send_message)
    result = run("send_message", {"message": "hi"}, ctx)

    assert result.status == "error" and result.changed_block_ids == []
    block = Block.objects.get(pk=ctx.blocks["human"])
    assert (block.value, block.version) == ("Name: Ada", 1)
