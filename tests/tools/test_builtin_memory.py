"""The memory tools as the agent loop runs them: through execute_builtin, with a ToolContext built here."""

import pytest

from memory import services
from memory.models import Archive, Block, BlockRevision, Passage
from memory.services import EditActor
from tools.builtin import memory_tools
from tools.context import MemoryEdited, ToolContext
from tools.executor import execute_builtin


@pytest.fixture
def blocks(org):
    def make(label, value, **fields):
        return services.create_block(organization_id=org.id, label=label, value=value, actor=EditActor.api(), **fields)

    return {
        "human": make("human", "Name: Ada\nLikes: tea", limit=200),
        "persona": make("persona", "I am helpful."),
        "policy": make("policy", "Be kind.", read_only=True),
    }


@pytest.fixture
def ctx(org, blocks):
    archives = []

    def attach_new_block(label, value):
        block = services.create_block(
            organization_id=org.id,
            label=label,
            value=value,
            actor=EditActor.agent("agent-1", "step-1", "call-1", "memory_rethink"),
        )
        return block.id

    def ensure_archive():
        if not archives:
            archives.append(Archive.objects.create(organization=org, name="agent archive"))
        return archives[0].id

    return ToolContext(
        organization_id=org.id,
        agent_id="agent-1",
        step_id="step-1",
        tool_call_id="call-1",
        blocks={label: block.id for label, block in blocks.items()},
        attach_new_block=attach_new_block,
        ensure_archive=ensure_archive,
    )


def run(name, ctx, **arguments):
    return execute_builtin(name, arguments, ctx, return_char_limit=50_000)


def value(block):
    return Block.objects.get(pk=block.pk).value


def test_memory_replace_edits_and_shows_the_new_content(ctx, blocks):
    result = run("memory_replace", ctx, label="human", old_string="tea", new_string="coffee")

    assert result.ok and result.changed_block_ids == [blocks["human"].id]
    assert value(blocks["human"]) == "Name: Ada\nLikes: coffee"
    assert result.func_return.startswith("The core memory block with label `human` has been edited (23 of 200")
    assert "Name: Ada\nLikes: coffee" in result.func_return
    revision = BlockRevision.objects.get(block=blocks["human"], version=2)
    assert (revision.actor_type, revision.agent_id, revision.step_id) == ("agent", "agent-1", "step-1")
    assert (revision.tool_call_id, revision.tool_name) == ("call-1", "memory_replace")


@pytest.mark.parametrize(
    ("name", "arguments", "message"),
    [
        (
            "memory_replace",
            {"label": "foo", "old_string": "a", "new_string": "b"},
            "Error: Memory block 'foo' does not exist. Available blocks: human, persona, policy.",
        ),
        (
            "memory_replace",
            {"label": "human", "old_string": "juice", "new_string": "b"},
            "Error: No replacement was performed, old_string `juice` did not appear verbatim in memory block with "
            "label `human`.",
        ),
        (
            "memory_replace",
            {"label": "human", "old_string": "a", "new_string": "b"},
            "Error: No replacement was performed. Multiple occurrences of old_string `a` in lines [1, 2].",
        ),
        ("memory_replace", {"label": "human", "old_string": "", "new_string": "b"}, "old_string must not be empty"),
        ("memory_replace", {"label": "human", "old_string": "2→ Likes: tea", "new_string": "b"}, "line number prefix"),
        (
            "memory_insert",
            {"label": "human", "new_string": "x" * 300},
            "Error: Edit failed: memory block 'human' would have 321 characters, over its limit of 200.",
        ),
        (
            "memory_insert",
            {"label": "human", "new_string": "x", "insert_line": 7},
            "Error: Invalid `insert_line` parameter: 7.",
        ),
        (
            "memory_insert",
            {"label": "policy", "new_string": "Be rude."},
            "Error: memory block 'policy' is read-only and cannot be edited.",
        ),
        (
            "core_memory_replace",
            {"label": "human", "old_content": "juice", "new_content": "x"},
            "Error: Old content 'juice' not found in memory block 'human'",
        ),
        ("core_memory_append", {"label": "policy", "content": "x"}, "read-only"),
        ("memory_rethink", {"label": "policy", "new_memory": "x"}, "read-only"),
    ],
)
def test_bad_edits_return_an_error_and_change_nothing(ctx, blocks, name, arguments, message):
    before = {label: (b.value, Block.objects.get(pk=b.pk).version) for label, b in blocks.items()}

    result = run(name, ctx, **arguments)

    assert result.status == "error" and result.changed_block_ids == []
    assert result.func_return.startswith(message) if message.startswith("Error") else message in result.func_return
    assert result.stderr and result.stderr[0].startswith(f"Error executing function {name}: ")
    assert {label: (value(b), Block.objects.get(pk=b.pk).version) for label, b in blocks.items()} == before


def test_memory_insert_positions(ctx, blocks):
    assert run("memory_insert", ctx, label="human", new_string="Age: 36", insert_line=1).ok
    assert run("memory_insert", ctx, label="human", new_string="Top").ok is True
    assert run("memory_insert", ctx, label="human", new_string="First", insert_line=0).ok
    assert value(blocks["human"]) == "First\nName: Ada\nAge: 36\nLikes: tea\nTop"


def test_memory_rethink_rewrites_or_creates_a_block(ctx, blocks):
    result = run("memory_rethink", ctx, label="persona", new_memory="I am concise.")
    assert result.ok and value(blocks["persona"]) == "I am concise."

    result = run("memory_rethink", ctx, label="project_notes", new_memory="Deadline: Friday")
    assert result.ok and "Created a new memory block with label `project_notes`" in result.func_return
    created = Block.objects.get(pk=ctx.blocks["project_notes"])
    assert created.value == "Deadline: Friday" and result.changed_block_ids == [created.id]

    bad = run("memory_rethink", ctx, label="my notes!", new_memory="x")
    assert bad.status == "error" and "cannot be a new block label" in bad.func_return


def test_a_memory_tool_returns_the_block_it_changed_explicitly(ctx, blocks):
    edited = memory_tools.core_memory_append(ctx, label="human", content="Plays chess.")
    assert isinstance(edited, MemoryEdited) and edited.block_id == blocks["human"].id
    assert "Plays chess." in edited.text

    unchanged = memory_tools.memory_rethink(ctx, label="persona", new_memory="I am helpful.")
    assert isinstance(unchanged, str) and "nothing was changed" in unchanged


def test_an_edit_that_changes_nothing_reports_no_changed_block(ctx, blocks):
    result = run("memory_rethink", ctx, label="persona", new_memory="I am helpful.")
    assert result.ok and result.changed_block_ids == [] and "nothing was changed" in result.func_return
    assert BlockRevision.objects.filter(block=blocks["persona"]).count() == 1


def test_core_memory_tools(ctx, blocks):
    assert run("core_memory_append", ctx, label="human", content="Lives in Paris").ok
    assert run("core_memory_replace", ctx, label="human", old_content="a", new_content="A").ok
    assert value(blocks["human"]) == "NAme: AdA\nLikes: teA\nLives in PAris"


def test_memory_finish_edits(ctx):
    result = run("memory_finish_edits", ctx)
    assert result.ok and result.func_return == "Memory edits finished."


def test_archival_insert_and_search(ctx):
    stored = run("archival_memory_insert", ctx, content="Ada's favourite tea is Assam", tags=["drinks"])
    run("archival_memory_insert", ctx, content="Ada's cat is called Tea Cosy")
    assert stored.ok and stored.func_return.startswith("Stored in archival memory (id passage-")
    assert Archive.objects.count() == 1 and Passage.objects.count() == 2

    found = run("archival_memory_search", ctx, query="tea", tags=["drinks"])
    assert found.ok and '"content": "Ada\'s favourite tea is Assam"' in found.func_return
    assert "Tea Cosy" not in found.func_return
    assert (
        run(
            "archival_memory_search",
            ctx,
            query="tea",
            start_datetime="2000-01-01",
            end_datetime="2000-01-02",
        ).func_return
        == "[]"
    )
    assert run("archival_memory_search", ctx, query=" ").func_return == "[]"


def test_archival_errors(ctx):
    empty = run("archival_memory_insert", ctx, content="  ")
    assert empty.status == "error" and "must not be empty" in empty.func_return
    bad_date = run("archival_memory_search", ctx, query="tea", start_datetime="last tuesday")
    assert bad_date.func_return == (
        "Error: Invalid start_datetime 'last tuesday': use ISO 8601, e.g. 2024-01-15 or 2024-01-15T14:30."
    )
    bad_mode = run("archival_memory_search", ctx, query="tea", tag_match_mode="some")
    assert bad_mode.status == "error" and "tag_match_mode" in bad_mode.func_return
