"""Running a custom tool's Python source in a separate, limited process.

The tool runs as `python -I` (no user site, no environment-driven imports) in a fresh temporary directory, with
an environment holding only PATH and the agent's secrets, CPU-time and memory limits, and a wall-clock timeout.
This keeps a crashing, looping or memory-hungry tool from harming the server; it is not a security boundary
against hostile code (the process can still read files the server user can read) — that needs a container or a
remote sandbox, which this module's interface leaves room for.
"""

import asyncio
import json
import os
import resource
import sys
import tempfile
from dataclasses import dataclass

from tools.context import ToolResult
from tools.schema import check_arguments

RESULT_MARKER = "\x1e__tool_result__"
MEMORY_LIMIT_BYTES = 1 << 30
MAX_OUTPUT_LINES = 200

# Runs inside the child: define the source's functions, call the tool, print the marked JSON result last.
RUNNER = r"""
import json, linecache, sys, traceback
payload = json.loads(sys.stdin.read())
namespace = {"__name__": "__tool__"}
filename = "<tool " + payload["name"] + ">"
linecache.cache[filename] = (len(payload["source"]), None, payload["source"].splitlines(True), filename)
try:
    exec(compile(payload["source"], filename, "exec"), namespace)
    func = namespace.get(payload["name"])
    if not callable(func):
        raise NameError("the source defines no function named " + repr(payload["name"]))
    value = func(**payload["args"])
    try:
        text = value if isinstance(value, str) else json.dumps(value, default=str)
    except (TypeError, ValueError):
        text = repr(value)
    outcome = {"status": "success", "value": text}
except BaseException as exc:
    lines = traceback.format_exception(exc)
    outcome = {"status": "error", "value": type(exc).__name__ + ": " + str(exc), "trace": "".join(lines[-6:])}
sys.stdout.flush()
print("\x1e__tool_result__" + json.dumps(outcome))
"""


@dataclass(frozen=True, slots=True)
class SandboxLimits:
    timeout_seconds: float = 30.0
    cpu_seconds: int = 30
    memory_bytes: int = MEMORY_LIMIT_BYTES


def _limit_child(limits: SandboxLimits):
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds))
        resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
        os.setsid()  # its own process group, so a timeout kills whatever it spawned too

    return apply


async def run_tool_source(
    source: str, name: str, args: dict, *, env: dict[str, str] | None = None, limits: SandboxLimits = SandboxLimits()
) -> ToolResult:
    payload = json.dumps({"source": source, "name": name, "args": args}).encode()
    child_env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **(env or {})}
    with tempfile.TemporaryDirectory(prefix="tool-") as workdir:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-I",
            "-c",
            RUNNER,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            cwd=workdir,
            env=child_env,
            preexec_fn=_limit_child(limits),
        )
        try:
            out, err = await asyncio.wait_for(process.communicate(payload), limits.timeout_seconds)
        except TimeoutError:
            _kill(process)
            await process.wait()
            return ToolResult(
                status="error",
                func_return=(
                    f"Error: tool '{name}' did not finish within {limits.timeout_seconds:g} seconds and was stopped."
                ),
            )
    return _result(name, process.returncode, out.decode(errors="replace"), err.decode(errors="replace"))


async def run_custom_tool(
    source: str,
    name: str,
    args: dict,
    *,
    schema: dict | None,
    return_char_limit: int,
    env: dict[str, str] | None = None,
    timeout_seconds: float = 30.0,
) -> ToolResult:
    """A custom tool call as the agent loop and the API make it: arguments checked against the tool's schema
    first (a clear error instead of a TypeError from the child), the return cut to the tool's limit."""
    if schema and (problems := check_arguments(schema, args)):
        return ToolResult(status="error", func_return=f"Error: {name}() {'; '.join(problems)}.")
    result = await run_tool_source(source, name, args, env=env, limits=SandboxLimits(timeout_seconds=timeout_seconds))
    text = result.func_return
    if len(text) > return_char_limit:
        result.func_return = (
            f"{text[:return_char_limit]}... [NOTE: function output was truncated since it exceeded "
            f"the character limit ({len(text)} > {return_char_limit})]"
        )
    return result


def _kill(process) -> None:
    try:
        os.killpg(process.pid, 9)
    except ProcessLookupError:
        pass


def _result(name: str, returncode: int, out: str, err: str) -> ToolResult:
    printed, marker, tail = out.rpartition(RESULT_MARKER)
    stdout = (printed if marker else out).splitlines()[-MAX_OUTPUT_LINES:]
    stderr = err.splitlines()[-MAX_OUTPUT_LINES:]
    if not marker:
        why = "ran out of memory or CPU time" if returncode and returncode < 0 else f"exited with code {returncode}"
        return ToolResult(
            status="error", func_return=f"Error: tool '{name}' {why} before returning.", stdout=stdout, stderr=stderr
        )
    outcome = json.loads(tail.strip())
    if outcome["status"] == "success":
        return ToolResult(status="success", func_return=outcome["value"], stdout=stdout, stderr=stderr)
    return ToolResult(
        status="error",
        func_return=f"Error executing function {name}: {outcome['value']}",
        stdout=stdout,
        stderr=stderr + outcome.get("trace", "").splitlines(),
    )
