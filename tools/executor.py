"""Running a built-in tool call: check the arguments, run the function, turn what happened into a ToolResult.

A tool never raises into the agent loop. Errors the model can fix (a `MemoryEditError` or `ToolInputError`) come
back as their own message; anything else as "Error executing function X: Type: message", as Letta reports it.
Each call runs in its own savepoint, so a failed call leaves no partial write and the step's transaction usable.
"""

import json
import logging

from django.db import transaction

from memory.services import MemoryEditError
from tools.builtin import BUILTIN_TOOLS, NO_TRUNCATION, builtin_schema
from tools.builtin.core_tools import ToolInputError
from tools.context import MemoryEdited, ToolContext, ToolResult
from tools.schema import check_arguments

logger = logging.getLogger(__name__)

MAX_ERROR_CHARS = 1000


def execute_builtin(name: str, arguments: dict, ctx: ToolContext, *, return_char_limit: int) -> ToolResult:
    func = BUILTIN_TOOLS.get(name)
    if func is None:
        return ToolResult(
            status="error",
            func_return=(f"Error: '{name}' is not a built-in tool. Built-in tools: {', '.join(BUILTIN_TOOLS)}."),
        )
    arguments = {} if arguments is None else arguments
    schema = builtin_schema(name)
    if not isinstance(arguments, dict):
        return ToolResult(
            status="error",
            func_return=(f"Error: {name}() takes its arguments as a JSON object. It takes: {_expected(schema)}."),
        )
    arguments = _prepare(schema, arguments)
    if problems := check_arguments(schema, arguments):
        return ToolResult(
            status="error", func_return=(f"Error: {name}() {'; '.join(problems)}. It takes: {_expected(schema)}.")
        )
    if ctx.tool_name is None:
        ctx.tool_name = name
    try:
        with transaction.atomic():
            value = func(ctx, **arguments)
    except (MemoryEditError, ToolInputError) as exc:
        message = str(exc)
        return ToolResult(
            status="error",
            func_return=message if message.startswith("Error") else f"Error: {message}",
            stderr=[_friendly(name, exc)],
        )
    except Exception as exc:  # noqa: BLE001 - any failure becomes a tool error the model sees, never a crash
        logger.exception("Built-in tool %s failed", name)
        return ToolResult(status="error", func_return=_friendly(name, exc), stderr=[_friendly(name, exc)])
    changed = []
    if isinstance(value, MemoryEdited):
        changed, value = [value.block_id], value.text
    text = _stringify(value)
    if name not in NO_TRUNCATION and return_char_limit and len(text) > return_char_limit:
        text = (
            f"{text[:return_char_limit]}... [NOTE: function output was truncated since it exceeded the character "
            f"limit ({len(text)} > {return_char_limit})]"
        )
    return ToolResult(status="success", func_return=text, changed_block_ids=changed)


def _prepare(schema: dict, arguments: dict) -> dict:
    """Drop nulls for optional parameters (so their defaults apply) and accept "3" or 3.0 for an integer."""
    params = schema["parameters"]
    required = set(params.get("required", []))
    prepared = {}
    for key, value in arguments.items():
        if value is None and key not in required:
            continue
        if params["properties"].get(key, {}).get("type") == "integer":
            if isinstance(value, str) and value.strip().lstrip("-").isdigit():
                value = int(value)
            elif isinstance(value, float) and value.is_integer():
                value = int(value)
        prepared[key] = value
    return prepared


def _expected(schema: dict) -> str:
    params = schema["parameters"]
    required = set(params.get("required", []))
    parts = [
        f"{key} ({prop.get('type', 'any')}{'' if key in required else ', optional'})"
        for key, prop in params["properties"].items()
    ]
    return ", ".join(parts) or "no arguments"


def _friendly(name: str, exc: Exception) -> str:
    return f"Error executing function {name}: {type(exc).__name__}: {exc}"[:MAX_ERROR_CHARS]


def _stringify(value) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)
