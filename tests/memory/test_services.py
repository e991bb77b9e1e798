import pytest

from memory import services
from memory.models import DEFAULT_DESCRIPTIONS, Block, BlockRevision
from memory.services import (
    LINE_NUMBER_WARNING,
    BlockLimitError,
    BlockNotFoundError,
    BlockReadOnlyError,
    EditActor,
    InvalidEditError,
    TextNotFoundError,
    TextNotUniqueError,
)

API = EditActor.api()


def state(block):
    fresh = Block.objects.get(pk=block.pk)
    return fresh.value, fresh.version, BlockRevision.objects.filter(block=block).count()


# ------------------------------------------------------------------------------------------------ create


def test_create_writes_revision_one_and_default_descriptions(make_block):
    human = make_block("human", "Name: Ada")
    notes = make_block("notes", "x")

    assert human.description == DEFAULT_DESCRIPTIONS["human"] and notes.description is None
    assert human.version == 1 and human.limit == 100_000
    revision = BlockRevision.objects.get(block=human)
    assert (revision.version, revision.value_before, revision.value_after) == (1, "", "Name: Ada")
    assert revision.actor_type == "api" and revision.field_changes["label"] == {"before": None, "after": "human"}


def test_create_strips_nul_and_checks_limit_and_label(make_block):
    assert make_block("a", "ab\x00c").value == "abc"
    with pytest.raises(BlockLimitError, match="would have 11 characters, over its limit of 10"):
        make_block("b", "x" * 11, limit=10)
    with pytest.raises(InvalidEditError, match="non-empty label"):
        make_block("  ", "x")
    with pytest.raises(InvalidEditError, match="positive number"):
        make_block("c", "x", limit=0)
    assert not Block.objects.filter(label__in=["b", "c"]).exists()


def test_create_can_import_a_block_over_its_limit(make_block):
    block = make_block("human", "x" * 20, limit=10, allow_over_limit=True)
    assert (block.value, block.limit) == ("x" * 20, 10)


# ----------------------------------------------------------------------------------------- memory_replace


def test_memory_replace_replaces_the_unique_occurrence(make_block, agent_actor):
    block = make_block("human", "Name: Ada\nLikes: tea")
    edit = services.memory_replace(block.id, "Likes: tea", "Likes: coffee", actor=agent_actor)

    block, revision = edit.block, edit.revision
    assert block.value == "Name: Ada\nLikes: coffee" and block.version == 2 and edit.changed
    assert revision.version == 2 and revision.block_id == block.id
    assert (revision.value_before, revision.value_after) == ("Name: Ada\nLikes: tea", "Name: Ada\nLikes: coffee")
    assert (revision.actor_type, revision.actor_id, revision.agent_id) == ("agent", "agent-1", "agent-1")
    assert (revision.step_id, revision.tool_call_id, revision.tool_name) == ("step-1", "call-1", "memory_replace")


def test_memory_replace_expands_tabs(make_block):
    block = make_block("notes", "a\tb")
    block = services.memory_replace(block.id, "a\tb", "c\td", actor=API).block
    assert block.value == "c\td".expandtabs()


def test_memory_replace_messages_for_missing_and_repeated_text(make_block):
    block = make_block("human", "tea\nmore tea\ncoffee\ntea")
    with pytest.raises(TextNotFoundError) as missing:
        services.memory_replace(block.id, "juice", "x", actor=API)
    assert str(missing.value) == (
        "No replacement was performed, old_string `juice` did not appear verbatim in memory block with label `human`."
    )
    with pytest.raises(TextNotUniqueError) as repeated:
        services.memory_replace(block.id, "tea", "x", actor=API)
    assert str(repeated.value) == (
        "No replacement was performed. Multiple occurrences of old_string `tea` in lines [1, 2, 4]. "
        "Please ensure it is unique."
    )


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("", "x", "old_string must not be empty"),
        ("1→ Name: Ada", "x", "old_string contains a line number prefix"),
        ("Name: Ada", "  2→ Name: Bob", "new_string contains a line number prefix"),
        (f"{LINE_NUMBER_WARNING}\nName: Ada", "x", "old_string contains the line number warning"),
    ],
)
def test_memory_replace_refuses_bad_strings(make_block, old, new, message):
    block = make_block("human", "Name: Ada")
    with pytest.raises(InvalidEditError, match=message):
        services.memory_replace(block.id, old, new, actor=API)


# ------------------------------------------------------------------------------------------ memory_insert


@pytest.mark.parametrize(
    ("line", "expected"),
    [(0, "new\na\nb"), (1, "a\nnew\nb"), (2, "a\nb\nnew"), (-1, "a\nb\nnew")],
)
def test_memory_insert_after_line(make_block, line, expected):
    block = make_block("notes", "a\nb")
    assert services.memory_insert(block.id, "new", line, actor=API).block.value == expected


def test_memory_insert_into_an_empty_block_adds_no_blank_line(make_block):
    block = make_block("notes", "")
    assert services.memory_insert(block.id, "first", actor=API).block.value == "first"


def test_memory_insert_refuses_a_line_out_of_range(make_block):
    block = make_block("notes", "a\nb")
    with pytest.raises(InvalidEditError) as error:
        services.memory_insert(block.id, "x", 5, actor=API)
    assert str(error.value) == (
        "Invalid `insert_line` parameter: 5. It should be within the range of lines of the memory block: [0, 2], "
        "or -1 to append to the end of the memory block."
    )
    with pytest.raises(InvalidEditError, match="line number prefix"):
        services.memory_insert(block.id, "3→ x", actor=API)


# ------------------------------------------------------------------------------ rethink, core_memory_*


def test_memory_rethink_rewrites_the_block(make_block):
    block = make_block("notes", "old stuff")
    assert services.memory_rethink(block.id, "all new", actor=API).block.value == "all new"


def test_core_memory_append_joins_with_a_newline(make_block):
    block = make_block("human", "Name: Ada")
    assert services.core_memory_append(block.id, "Likes tea", actor=API).block.value == "Name: Ada\nLikes tea"
    empty = make_block("notes", "")
    assert services.core_memory_append(empty.id, "first", actor=API).block.value == "first"
    with pytest.raises(InvalidEditError, match="content must not be empty"):
        services.core_memory_append(block.id, "", actor=API)


def test_core_memory_replace_replaces_every_occurrence(make_block):
    block = make_block("human", "tea, tea")
    assert services.core_memory_replace(block.id, "tea", "coffee", actor=API).block.value == "coffee, coffee"
    with pytest.raises(TextNotFoundError) as error:
        services.core_memory_replace(block.id, "juice", "x", actor=API)
    assert str(error.value) == "Old content 'juice' not found in memory block 'human'"
    with pytest.raises(InvalidEditError, match="old_content must not be empty"):
        services.core_memory_replace(block.id, "", "x", actor=API)


# ----------------------------------------------------------------------------------- limit and read-only


def test_limit_is_enforced_with_a_clear_message(make_block):
    block = make_block("human", "x" * 4990, limit=5000)
    with pytest.raises(BlockLimitError) as error:
        services.core_memory_append(block.id, "y" * 219, actor=API)
    assert str(error.value) == (
        "Edit failed: memory block 'human' would have 5,210 characters, over its limit of 5,000. Shorten the new "
        "text or remove something first (memory_rethink rewrites the whole block)."
    )


def test_an_imported_over_limit_block_accepts_only_edits_that_do_not_grow_it(make_block):
    block = make_block("human", "a" * 15 + "bb", limit=10, allow_over_limit=True)

    block = services.memory_replace(block.id, "bb", "c", actor=API).block  # shorter: fine
    assert len(block.value) == 16
    block = services.memory_replace(block.id, "c", "d", actor=API).block  # same length: fine
    with pytest.raises(BlockLimitError, match="already holds 16 characters, over its limit of 10"):
        services.memory_replace(block.id, "d", "dd", actor=API)
    block = services.memory_rethink(block.id, "short", actor=API).block  # back under the limit: normal rules again
    with pytest.raises(BlockLimitError, match="would have 11 characters"):
        services.memory_rethink(block.id, "x" * 11, actor=API)


def test_read_only_blocks_refuse_agents_but_not_the_api(make_block, agent_actor):
    block = make_block("policy", "Be kind.", read_only=True)
    with pytest.raises(BlockReadOnlyError) as error:
        services.core_memory_append(block.id, "Be rude.", actor=agent_actor)
    assert str(error.value) == "Error: memory block 'policy' is read-only and cannot be edited."
    assert services.core_memory_append(block.id, "Be brief.", actor=API).block.value == "Be kind.\nBe brief."
    assert services.update_block(block.id, value="Be fair.", actor=EditActor.user("user-1")).block.value == "Be fair."


@pytest.mark.parametrize(
    "edit",
    [
        lambda b, a: services.memory_replace(b.id, "absent", "x", actor=a),
        lambda b, a: services.memory_replace(b.id, "", "x", actor=a),
        lambda b, a: services.memory_replace(b.id, "1→ tea", "x", actor=a),
        lambda b, a: services.memory_insert(b.id, "x", 9, actor=a),
        lambda b, a: services.memory_insert(b.id, "x" * 100, actor=a),
        lambda b, a: services.core_memory_replace(b.id, "absent", "x", actor=a),
        lambda b, a: services.update_block(b.id, limit=3, actor=a),
        lambda b, a: services.memory_rethink(b.id, "new", actor=EditActor.agent("agent-x")),
    ],
    ids=["missing", "empty", "prefix", "bad-line", "over-limit", "core-missing", "low-limit", "read-only"],
)
def test_a_failed_edit_changes_nothing(make_block, edit):
    block = make_block("human", "tea\ntea", limit=50, read_only=True)
    before = state(block)
    with pytest.raises(services.MemoryEditError):
        edit(block, API)
    assert state(block) == before


def test_unknown_block_and_label_errors(make_block):
    with pytest.raises(BlockNotFoundError, match="'block-nope' does not exist"):
        services.memory_rethink("block-nope", "x", actor=API)
    error = services.edit_error_for_unknown_label("foo", {"persona": "b", "human": "a"})
    assert str(error) == "Memory block 'foo' does not exist. Available blocks: human, persona."


# ---------------------------------------------------------------------------------------- update, restore


def test_update_block_records_field_changes_and_skips_no_ops(make_block):
    block = make_block("notes", "a", limit=100)
    edit = services.update_block(block.id, limit=200, description="Scratch", actor=API)
    block = edit.block
    assert block.version == 2
    assert edit.revision.field_changes == {
        "limit": {"before": 100, "after": 200},
        "description": {"before": None, "after": "Scratch"},
    }
    unchanged = services.update_block(block.id, limit=200, actor=API)
    assert unchanged.revision is None and not unchanged.changed and unchanged.block.version == 2
    assert state(block)[1:] == (2, 2)
    with pytest.raises(InvalidEditError, match="Cannot update version"):
        services.update_block(block.id, version=9, actor=API)
    block = services.update_block(block.id, metadata=None, tags=None, read_only=1, actor=API).block
    assert (block.metadata, block.tags, block.read_only) == ({}, [], True)


def test_update_block_limit_checks(make_block):
    block = make_block("notes", "x" * 50, limit=100)
    with pytest.raises(BlockLimitError, match="Cannot set the limit of memory block 'notes' to 40: it holds 50"):
        services.update_block(block.id, limit=40, actor=API)
    assert services.update_block(block.id, limit=40, value="short", actor=API).block.limit == 40
    with pytest.raises(BlockLimitError, match="would have 41 characters, over its limit of 40"):
        services.update_block(block.id, value="y" * 41, actor=API)


def test_restore_revision_brings_back_an_old_value_as_a_new_revision(make_block):
    block = make_block("notes", "first")
    services.memory_rethink(block.id, "second", actor=API)
    edit = services.restore_revision(block.id, 1, actor=EditActor.user("user-1"))

    assert (edit.block.value, edit.block.version) == ("first", 3)
    assert edit.revision.field_changes == {"restored_from_version": 1}
    assert (edit.revision.value_before, edit.revision.actor_id) == ("second", "user-1")
    with pytest.raises(InvalidEditError, match="has no version 7; it has versions 1 to 3"):
        services.restore_revision(block.id, 7, actor=API)
    with pytest.raises(InvalidEditError, match="whole number"):
        services.restore_revision(block.id, "1", actor=API)


def test_restore_respects_the_limit_and_read_only(make_block, agent_actor):
    block = make_block("notes", "a long first value", limit=100)
    services.update_block(block.id, value="short", limit=10, actor=API)
    with pytest.raises(
        BlockLimitError,
        match="Cannot restore version 1 of memory block .notes.: it held 18 characters, over the block.s limit of 10",
    ):
        services.restore_revision(block.id, 1, actor=API)
    services.update_block(block.id, read_only=True, actor=API)
    with pytest.raises(BlockReadOnlyError):
        services.restore_revision(block.id, 1, actor=agent_actor)


def test_an_edit_loaded_at_an_old_version_is_refused_and_writes_nothing(make_block):
    block = make_block("notes", "first")
    services.update_block(block.id, value="theirs", expected_version=1, actor=API)  # the first tab saves

    with pytest.raises(services.BlockVersionConflict, match="you loaded version 1, it is now at version 2") as caught:
        services.update_block(block.id, value="mine", expected_version=1, actor=API)  # the second tab

    assert caught.value.status_code == 409 and caught.value.block.value == "theirs"
    assert state(block) == ("theirs", 2, 2)
    assert services.update_block(block.id, value="mine", expected_version=2, actor=API).block.value == "mine"


def test_restoring_a_version_the_block_never_had_is_not_found(make_block):
    block = make_block("notes", "first")
    with pytest.raises(services.RevisionNotFoundError) as caught:
        services.restore_revision(block.id, 5, actor=API)
    assert caught.value.status_code == 404
