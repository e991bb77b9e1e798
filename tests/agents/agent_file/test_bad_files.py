"""A file that cannot be imported is refused whole, with a message naming what is wrong, and stores nothing."""

import json

import pytest

from agents.agent_file import AgentFileError, import_agent, parse_agent_file
from tests.agents.agent_file.conftest import agent_file, counts, message, text

pytestmark = pytest.mark.django_db


def with_agent(**fields) -> dict:
    doc = agent_file()
    doc["agents"][0].update(fields)
    return doc


def duplicate_block() -> dict:
    doc = agent_file(
        blocks=[{"id": "block-0", "label": "human", "value": "a"}, {"id": "block-0", "label": "persona", "value": "b"}]
    )
    doc["agents"][0]["block_ids"] = ["block-0"]
    return doc


def bad_custom_tool_after_good_one() -> dict:
    # The first custom tool is written before the second one fails: the rollback must take it away too.
    good = {
        "id": "tool-3",
        "name": "fresh_tool",
        "tool_type": "custom",
        "source_code": "x = 1",
        "json_schema": {"name": "fresh_tool", "parameters": {"type": "object", "properties": {}}},
    }
    bad = {"id": "tool-4", "name": "broken_tool", "tool_type": "custom", "source_code": "def broken_tool(:\n"}
    return agent_file(tools=[good, bad])


BAD_FILES = [
    pytest.param(b"{not json", "not valid JSON", id="not-json"),
    pytest.param(b"\xff\xfe\x00", "not UTF-8", id="not-utf8"),
    pytest.param(json.dumps([1, 2]), "must hold a JSON object", id="not-an-object"),
    pytest.param({"name": "old agent", "memory": {}, "messages": []}, "legacy agent file", id="no-agents-list"),
    pytest.param({"agents": []}, "no agent to import", id="empty-agents"),
    pytest.param(duplicate_block(), "Duplicate id 'block-0'", id="duplicate-ids"),
    pytest.param(
        agent_file(messages=[message(0, "system", "s"), message(0, "user", "u")]),
        "Duplicate id 'message-0'",
        id="duplicate-message-ids",
    ),
    pytest.param(with_agent(block_ids=["block-9"]), "'block-9'", id="dangling-block-id"),
    pytest.param(
        agent_file(
            blocks=[
                {"id": "block-0", "label": "human", "value": "a"},
                {"id": "block-1", "label": "human", "value": "b"},
            ]
        ),
        "both labelled 'human'",
        id="duplicate-labels",
    ),
    pytest.param(with_agent(tool_ids=["tool-7"]), "'tool-7'", id="dangling-tool-id"),
    pytest.param(
        with_agent(in_context_message_ids=["message-0", "message-5"]), "'message-5'", id="dangling-context-id"
    ),
    pytest.param(
        agent_file(messages=[message(0, "system", "s"), message(1, "robot", text("beep"))]),
        "unknown role 'robot'",
        id="unknown-role",
    ),
    pytest.param(
        agent_file(blocks=[{"id": "tool-0", "label": "human", "value": "x"}], tools=[]),
        "look like 'block-0'",
        id="wrong-prefix",
    ),
    pytest.param(
        agent_file(blocks=[{"id": "block-x", "label": "human", "value": "x"}]), "'block-x'", id="non-numeric-id"
    ),
    pytest.param(
        with_agent(tool_rules=[{"type": "teleport", "tool_name": "lookup"}]),
        "unknown type 'teleport'",
        id="unknown-tool-rule",
    ),
    pytest.param(
        agent_file(blocks=[{"id": "block-0", "label": "human", "value": "x", "limit": 0}]),
        "'limit' must be a positive",
        id="zero-limit",
    ),
    pytest.param(agent_file(messages=[message(0, "system", 42)]), "'content' must be a string", id="bad-content"),
    pytest.param(
        agent_file(messages=[message(0, "system", "s", created_at="yesterday")]),
        "not an ISO 8601 timestamp",
        id="bad-timestamp",
    ),
    pytest.param(
        agent_file(messages=[message(0, "assistant", "", tool_calls=[{"function": {"name": "x"}}])]),
        "tool_calls[0] needs an 'id'",
        id="tool-call-without-id",
    ),
    pytest.param(with_agent(llm_config=None, model=None), "names no model", id="no-model"),
    pytest.param(bad_custom_tool_after_good_one(), "syntax error", id="fails-while-writing"),
]


@pytest.mark.parametrize("data, expected", BAD_FILES)
def test_a_bad_file_is_refused_with_a_clear_message_and_nothing_is_stored(org, settings, data, expected):
    settings.DEFAULT_MODEL = None
    before = counts()
    with pytest.raises(AgentFileError) as error:
        import_agent(data, organization_id=org.id)
    assert expected in str(error.value)
    assert counts() == before


def test_errors_name_the_agent_and_message_at_fault():
    doc = agent_file(messages=[message(0, "system", "s"), message(7, "robot", "beep")])
    with pytest.raises(AgentFileError, match=r"Agent agent-0 message message-7 has unknown role 'robot'"):
        parse_agent_file(doc)


def test_the_error_is_a_value_error_so_callers_can_answer_400():
    assert issubclass(AgentFileError, ValueError)
