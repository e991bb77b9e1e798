"""Running a built-in tool call: check the arguments, run the function, turn what happened into a ToolResult.

A tool never raises into the agent loop. Errors the model can fix (a `MemoryEditError` or `ToolInputError`) come
back as their own message; anything else as "Error executing function X: Type: message", as Letta reports it.
Each call runs in its own savepoint, so a failed call leaves no partial write and the step's transaction usable.
The async tools that wait on the network or a sandbox (OUTSIDE_TOOLS) go through `execute_outside` instead, before
the step's transaction, with a time limit.
"""

import asyncio
import json
import logging

from django.conf import settings
from django.db import transaction

from memory.services import MemoryEditError
from tools.builtin import BUILTIN_TOOLS, NO_TRUNCATION, OUTSIDE_TOOLS, builtin_schema
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
    if name in OUTSIDE_TOOLS:
        # Only reached on a path that forgot to run it before the step's transaction: say so, do not block in it.
        return ToolResult(
            status="error", func_return=f"Error: {name} was not run: it runs before the step's transaction, not in it."
        )
    checked = _checked_arguments(name, arguments)
    if isinstance(checked, ToolResult):
        return checked
    if ctx.tool_name is None:
        ctx.tool_name = name
    try:
        with transaction.atomic():
            value = func(ctx, **checked)
    except Exception as exc:  # noqa: BLE001 - any failure becomes a tool error the model sees, never a crash
        return _failed(name, exc)
    return _succeeded(name, value, return_char_limit)


def outside_timeout(name: str) -> float:
    """The overall limit of an OUTSIDE_TOOLS call: above the tool's own limits (each request's timeout, the
    sandbox's), so those, with their clearer messages, normally fire first."""
    if name == "fetch_webpage":
        return settings.FETCH_WEBPAGE_TIMEOUT_SECONDS * 2 + 5  # redirect hops, then the page's conversion
    if name == "web_search":
        return settings.WEB_SEARCH_TIMEOUT_SECONDS + 5
    if name == "run_code":
        return settings.RUN_CODE_TIMEOUT_SECONDS + 10  # the sandbox's start and its kill at its own timeout
    return settings.TOOL_TIMEOUT_SECONDS


async def execute_outside(
    name: str, arguments: dict, ctx: ToolContext, *, return_char_limit: int, timeout_seconds: float | None = None
) -> ToolResult:
    """Run one of the async OUTSIDE_TOOLS (network or sandbox work) with no database transaction open and an
    overall time limit on top of the tool's own."""
    timeout_seconds = timeout_seconds or outside_timeout(name)
    checked = _checked_arguments(name, arguments)
    if isinstance(checked, ToolResult):
        return checked
    if ctx.tool_name is None:
        ctx.tool_name = name
    try:
        value = await asyncio.wait_for(BUILTIN_TOOLS[name](ctx, **checked), timeout_seconds)
    except TimeoutError:
        return ToolResult(
            status="error", func_return=f"Error: {name} did not finish within {timeout_seconds:g} seconds."
        )
    except (MemoryEditError, ToolInputError) as exc:
        return _failed(name, exc)
    except Exception as exc:  # noqa: BLE001 - never a crash; and no library's exception text, which may quote a page
        logger.error("Built-in tool %s failed", name, exc_info=exc)
        return ToolResult(
            status="error",
            func_return=f"Error executing function {name}: an unexpected {type(exc).__name__} (logged on the server).",
        )
    return _succeeded(name, value, return_char_limit)


def _checked_arguments(name: str, arguments) -> dict | ToolResult:
    """The call's arguments ready for the function, or the error result that explains what is wrong with them."""
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
    return arguments


def _failed(name: str, exc: Exception) -> ToolResult:
    if isinstance(exc, MemoryEditError | ToolInputError):
        message = str(exc)
        return ToolResult(
            status="error",
            func_return=message if message.startswith("Error") else f"Error: {message}",
            stderr=[_friendly(name, exc)],
        )
    logger.error("Built-in tool %s failed", name, exc_info=exc)
    return ToolResult(status="error", func_return=_friendly(name, exc), stderr=[_friendly(name, exc)])


def _succeeded(name: str, value, return_char_limit: int) -> ToolResult:
    result = value if isinstance(value, ToolResult) else None  # a tool that reports its own status and logs
    changed = []
    if isinstance(value, MemoryEdited):
        changed, value = [value.block_id], value.text
    text = result.func_return if result else _stringify(value)
    if name not in NO_TRUNCATION and return_char_limit and len(text) > return_char_limit:
        text = (
            f"{text[:return_char_limit]}... [NOTE: function output was truncated since it exceeded the character "
            f"limit ({len(text)} > {return_char_limit})]"
        )
    if result:
        result.func_return = text
        return result
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
