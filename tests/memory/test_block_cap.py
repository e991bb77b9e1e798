"""The hard cap on a block (LETTA_MAX_BLOCK_CHARS), held in memory/services.py for every path: a value over it, or a
limit over it, is refused with a message naming the setting and nothing is stored; an agent file's block over its
own limit still imports as long as it is within the cap. The API's and the import's answers are in
tests/api/test_block_cap_api.py."""

import pytest

from letta_project import settings as project_settings
from memory import services
from memory.models import CORE_MEMORY_BLOCK_CHAR_LIMIT, Block, BlockRevision
from memory.services import BlockLimitError, EditActor
from tools.context import ToolContext
from tools.executor import execute_builtin

pytestmark = pytest.mark.django_db

CAP = 1_000


@pytest.fixture(autouse=True)
def small_cap(settings):
    settings.MAX_BLOCK_CHARS = CAP


def test_the_default_cap_is_above_the_default_limit_and_letta_usual_one():
    assert project_settings.MAX_BLOCK_CHARS == 200_000 > CORE_MEMORY_BLOCK_CHAR_LIMIT > 20_000


def test_a_value_over_the_cap_is_refused_even_where_the_limit_would_allow_it(make_block):
    with pytest.raises(
        BlockLimitError, match=r"over the 1,000 characters any block may hold \(LETTA_MAX_BLOCK_CHARS\)"
    ):
        make_block("notes", "x" * (CAP + 1), allow_over_limit=True, limit=10)
    assert not Block.objects.filter(label="notes").exists()


def test_an_imported_block_over_its_limit_within_the_cap_keeps_its_value_and_limit(make_block):
    block = make_block("notes", "x" * CAP, allow_over_limit=True, limit=10)
    assert (len(block.value), block.limit) == (CAP, 10)


def test_a_limit_over_the_cap_is_refused_on_create_and_update(make_block):
    with pytest.raises(BlockLimitError, match=r"limit can be at most 1,000 characters \(LETTA_MAX_BLOCK_CHARS\)"):
        make_block("notes", "", limit=10**12)
    block = make_block("notes", "short", limit=CAP)
    with pytest.raises(BlockLimitError, match="LETTA_MAX_BLOCK_CHARS"):
        services.update_block(block.id, limit=CAP + 1, actor=EditActor.api())
    assert Block.objects.get(pk=block.pk).limit == CAP


def test_no_limit_given_takes_the_default_within_the_cap(make_block):
    assert make_block("notes", "").limit == CAP  # the default limit (100,000) is over this small cap


def test_an_update_past_the_cap_changes_nothing(make_block):
    block = make_block("notes", "short", limit=CAP)
    with pytest.raises(BlockLimitError, match="LETTA_MAX_BLOCK_CHARS"):
        services.update_block(block.id, value="y" * (CAP + 1), actor=EditActor.api())
    stored = Block.objects.get(pk=block.pk)
    assert (stored.value, stored.version, BlockRevision.objects.filter(block=block).count()) == ("short", 1, 1)


def test_a_block_stored_over_the_cap_before_it_existed_may_only_shrink_under_it(make_block):
    block = make_block("notes", "x" * 10, limit=CAP)
    Block.objects.filter(pk=block.pk).update(value="head" + "x" * (CAP * 3))  # a 30 MB block, scaled down
    with pytest.raises(BlockLimitError, match="LETTA_MAX_BLOCK_CHARS"):
        services.memory_replace(block.id, "head", "h", actor=EditActor.api())  # shorter, but still over the cap
    edit = services.memory_rethink(block.id, "condensed", actor=EditActor.api())
    assert edit.block.value == "condensed"


@pytest.mark.parametrize(
    "name, arguments",
    [
        ("core_memory_append", {"label": "notes", "content": "y" * CAP}),
        ("memory_insert", {"label": "notes", "new_string": "y" * CAP}),
        ("memory_rethink", {"label": "notes", "new_memory": "y" * (CAP + 1)}),
        ("core_memory_replace", {"label": "notes", "old_content": "Ada", "new_content": "y" * CAP}),
        ("memory_replace", {"label": "notes", "old_string": "Ada", "new_string": "y" * CAP}),
    ],
)
def test_a_memory_tool_going_past_the_cap_gets_an_error_back(org, make_block, name, arguments):
    # An imported block over its limit, so only the cap stands in the way of the edit.
    block = make_block("notes", "Name: Ada" + "." * 90, allow_over_limit=True, limit=10)
    ctx = ToolContext(
        organization_id=org.id,
        agent_id="agent-1",
        step_id="step-1",
        tool_call_id="call-1",
        blocks={"notes": block.id},
        attach_new_block=lambda label, value: None,
        ensure_archive=lambda: None,
    )

    result = execute_builtin(name, arguments, ctx, return_char_limit=50_000)

    assert result.status == "error" and result.changed_block_ids == []
    assert "any block may hold (LETTA_MAX_BLOCK_CHARS)" in result.func_return
    assert Block.objects.get(pk=block.pk).value == block.value
