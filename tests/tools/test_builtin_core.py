import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tools.builtin.core_tools import ToolInputError, parse_date_arg
from tools.context import ToolContext
from tools.executor import execute_builtin

pytestmark = pytest.mark.django_db  # the executor runs every call in a savepoint


def make_ctx(results=(), timezone="UTC"):
    calls = []

    def search_messages(*args):
        calls.append(args)
        return list(results)

    ctx = ToolContext(organization_id="org-1", agent_id="agent-1", timezone=timezone, search_messages=search_messages)
    return ctx, calls


def run(name, ctx, **arguments):
    return execute_builtin(name, arguments, ctx, return_char_limit=50)


def test_send_message():
    ctx, _ = make_ctx()
    result = run("send_message", ctx, message="Hello!")
    assert result.ok and result.func_return == "Sent message successfully." and result.changed_block_ids == []


def test_conversation_search_formats_results_and_is_never_truncated():
    hits = [
        {
            "timestamp": "2025-01-01T10:00:00+00:00",
            "time_ago": "3 days ago",
            "role": "user",
            "content": "I like tea " * 20,
        }
    ]
    ctx, calls = make_ctx(hits)

    result = run("conversation_search", ctx, query="tea", roles=["user"], limit=3, start_date="2025-01-01")

    assert result.ok and json.loads(result.func_return) == {
        "message": "Showing 1 results from your default conversation:",
        "results": hits,
    }
    # the search backend gets the range already read: a date alone starts at its midnight, in the agent's zone
    assert calls == [("tea", ["user"], 3, datetime(2025, 1, 1, tzinfo=ZoneInfo("UTC")), None)]


def test_conversation_search_defaults_and_no_results():
    ctx, calls = make_ctx()
    result = run("conversation_search", ctx, query=None, limit=None)
    assert result.func_return == "No results found in your default conversation."
    assert calls == [(None, None, 5, None, None)]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (
            {"start_date": "yesterday"},
            "Error: Invalid start_date 'yesterday': use ISO 8601, e.g. 2024-01-15 or 2024-01-15T14:30.",
        ),
        ({"start_date": "2025-02-01", "end_date": "2025-01-01"}, "Error: start_date (2025-02-01) is after end_date"),
        ({"limit": 0}, "Error: limit must be at least 1, not 0."),
        ({"roles": ["system"]}, "Error: conversation_search() argument 'roles' item 0 must be one of"),
    ],
)
def test_conversation_search_bad_arguments(arguments, message):
    ctx, calls = make_ctx()
    result = run("conversation_search", ctx, **arguments)
    assert result.status == "error" and result.func_return.startswith(message) and calls == []


def test_parse_date_arg_covers_whole_days_in_the_agent_timezone():
    berlin = ZoneInfo("Europe/Berlin")
    assert parse_date_arg("d", "2025-01-15", "Europe/Berlin", end=False) == datetime(2025, 1, 15, tzinfo=berlin)
    assert parse_date_arg("d", "2025-01-15", "UTC", end=True) == datetime(
        2025, 1, 15, 23, 59, 59, 999999, tzinfo=ZoneInfo("UTC")
    )
    assert parse_date_arg("d", "2025-01-15T14:30+00:00", "Europe/Berlin", end=False).utcoffset().total_seconds() == 0
    assert parse_date_arg("d", None, "UTC", end=False) is None
    with pytest.raises(ToolInputError, match="Invalid d '15/01/2025'"):
        parse_date_arg("d", "15/01/2025", "UTC", end=False)
