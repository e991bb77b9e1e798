"""The built-in tools: plain Python functions that run in-process with a ToolContext, and what the server needs
to know about them (tool type, defaults per agent type, which end a turn, which skip return truncation, which run
outside the step's transaction)."""

import copy
import functools
from collections.abc import Callable

from tools.builtin.code_tools import run_code
from tools.builtin.core_tools import conversation_search, send_message
from tools.builtin.memory_tools import (
    archival_memory_insert,
    archival_memory_search,
    core_memory_append,
    core_memory_replace,
    memory_finish_edits,
    memory_insert,
    memory_replace,
    memory_rethink,
)
from tools.builtin.web_tools import fetch_webpage, web_search
from tools.schema import schema_from_function

BUILTIN_TOOLS: dict[str, Callable] = {
    func.__name__: func
    for func in (
        send_message,
        conversation_search,
        archival_memory_insert,
        archival_memory_search,
        core_memory_append,
        core_memory_replace,
        memory_replace,
        memory_insert,
        memory_rethink,
        memory_finish_edits,
        web_search,
        fetch_webpage,
        run_code,
    )
}

TOOL_TYPES: dict[str, str] = {
    "send_message": "letta_core",
    "conversation_search": "letta_core",
    "archival_memory_insert": "letta_core",
    "archival_memory_search": "letta_core",
    "core_memory_append": "letta_core",
    "core_memory_replace": "letta_core",
    "memory_replace": "letta_memory_core",
    "memory_insert": "letta_memory_core",
    "memory_rethink": "letta_sleeptime_core",
    "memory_finish_edits": "letta_sleeptime_core",
    "web_search": "letta_builtin",
    "fetch_webpage": "letta_builtin",
    "run_code": "letta_builtin",
}

# Async tools that wait on the network or a sandboxed process: they run before the step's database transaction
# (tools.executor.execute_outside), never inside it, and touch no database row.
OUTSIDE_TOOLS = {"web_search", "fetch_webpage", "run_code"}

TERMINAL_BY_DEFAULT = {"send_message", "memory_finish_edits"}

# Attached when an agent is created with include_base_tools; archival tools are opt-in, as in Letta.
BASE_TOOLS_BY_AGENT_TYPE: dict[str, list[str]] = {
    "letta_v1_agent": ["conversation_search", "memory_replace", "memory_insert"],
    "memgpt_v2_agent": ["send_message", "conversation_search", "memory_replace", "memory_insert"],
    "memgpt_agent": ["send_message", "conversation_search", "core_memory_append", "core_memory_replace"],
    "sleeptime_agent": ["memory_replace", "memory_insert", "memory_rethink", "memory_finish_edits"],
    "react_agent": [],
    "workflow_agent": [],
}

# Added for any agent type when the agent has a sleep-time companion (enable_sleeptime).
BASE_TOOLS_WITH_SLEEPTIME = ["send_message", "conversation_search", "archival_memory_search"]

# Search results are only useful whole; these bypass the tool's return_char_limit.
NO_TRUNCATION = {"conversation_search", "archival_memory_search"}


def builtin_schema(name: str) -> dict:
    """The OpenAI function schema of a built-in tool, generated from its signature and docstring."""
    return copy.deepcopy(_schema(name))


@functools.cache
def _schema(name: str) -> dict:
    return schema_from_function(BUILTIN_TOOLS[name])
