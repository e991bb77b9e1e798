"""One custom-tool run: a slot, the sandbox (or, opted out, a plain limited process), bounded output, the result.

Every tool run goes through `run_tool_source` (the loop, POST /v1/tools/run, the agent tool run, the ADE's test
run), so the rules hold for all of them.
"""

import asyncio
import atexit
import json
import logging
import os
import signal
import sys
import tempfile
from contextlib import AsyncExitStack

from django.conf import settings

from tools.context import ToolResult
from tools.sandbox import egress
from tools.sandbox.bwrap import RUNNER, SandboxUnavailable, ready_bwrap, runner_argv
from tools.sandbox.limits import RunCgroup, SandboxLimits, apply_rlimits, create_cgroup
from tools.sandbox.output import BoundedText, drain, read_capped
from tools.sandbox.slots import NoSlot, tool_slot

log = logging.getLogger(__name__)

# Sandboxes running now (pid -> cgroup), killed when the server process exits.
_live: dict[int, RunCgroup] = {}


def limits_from_settings(timeout_seconds: float | None = None) -> SandboxLimits:
    return SandboxLimits(
        timeout_seconds=settings.TOOL_TIMEOUT_SECONDS if timeout_seconds is None else timeout_seconds,
        cpu_seconds=settings.TOOL_CPU_SECONDS,
        memory_bytes=settings.TOOL_MEMORY_BYTES,
        max_processes=settings.TOOL_MAX_PROCESSES,
        file_size_bytes=settings.TOOL_FILE_SIZE_BYTES,
        open_files=settings.TOOL_OPEN_FILES,
        scratch_bytes=settings.TOOL_SCRATCH_BYTES,
    )


async def run_tool_source(
    source: str,
    name: str,
    args: dict,
    *,
    env: dict[str, str] | None = None,
    limits: SandboxLimits | None = None,
    organization_id: str | None = None,
    network: egress.NetworkGrant | None = None,
    agent_state: dict | None = None,
) -> ToolResult:
    """`agent_state` (the SDK's AgentState JSON) is what a tool declaring that parameter receives (None when the
    call has no agent); block values it sets come back in `ToolResult.block_values`."""
    limits = limits or limits_from_settings()
    try:
        async with tool_slot(organization_id):
            hosts = egress.granted_hosts(organization_id, name, network)
            return await _run(source, name, args, env or {}, limits, hosts, agent_state)
    except (NoSlot, SandboxUnavailable) as exc:
        return ToolResult(status="error", func_return=f"Error: tool '{name}' did not run: {exc}")


async def _run(source: str, name: str, args: dict, env: dict, limits: SandboxLimits, hosts, agent_state) -> ToolResult:
    payload = {
        "source": source,
        "name": name,
        "args": args,
        "agent_state": agent_state,
        "result_max": settings.TOOL_RESULT_MAX_BYTES,
    }
    async with AsyncExitStack() as stack:
        if settings.TOOL_SANDBOX == "unsafe-none":
            scratch = stack.enter_context(tempfile.TemporaryDirectory(prefix="tool-"))
            argv = [sys.executable, "-I", "-B", str(RUNNER)]
            spawn = {"cwd": scratch, "env": {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": scratch, **env}}
            spawn["start_new_session"] = True
        else:
            bwrap = ready_bwrap()
            socket_path = await stack.enter_async_context(egress.proxy(hosts)) if hosts else None
            argv = runner_argv(bwrap, env=env, scratch_bytes=limits.scratch_bytes, egress_socket=socket_path)
            spawn = {"env": {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}}
        return await _execute(name, argv, payload, limits, spawn)


async def _execute(name: str, argv: list[str], payload: dict, limits: SandboxLimits, spawn: dict) -> ToolResult:
    cgroup = create_cgroup(limits)
    read_fd, write_fd = os.pipe()
    payload["result_fd"] = write_fd

    def prepare() -> None:  # in the child, before exec: the whole tree is in the cgroup and under the rlimits
        cgroup.join()
        apply_rlimits(limits)

    try:
        process = await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            pass_fds=(write_fd,),
            preexec_fn=prepare,
            **spawn,
        )
    except BaseException:
        os.close(read_fd)
        cgroup.kill_and_remove()
        raise
    finally:
        os.close(write_fd)
    _live[process.pid] = cgroup
    loop = asyncio.get_running_loop()
    result_reader = asyncio.StreamReader()
    transport, _ = await loop.connect_read_pipe(
        lambda: asyncio.StreamReaderProtocol(result_reader), os.fdopen(read_fd, "rb", 0)
    )
    stdout = BoundedText(settings.TOOL_OUTPUT_MAX_BYTES, settings.TOOL_OUTPUT_LINE_MAX)
    stderr = BoundedText(settings.TOOL_OUTPUT_MAX_BYTES, settings.TOOL_OUTPUT_LINE_MAX)
    cap = settings.TOOL_RESULT_MAX_BYTES * 4 + 4096  # JSON escaping may quadruple the runner's capped value
    work = asyncio.gather(
        _feed(process, json.dumps(payload).encode()),
        drain(process.stdout, stdout),
        drain(process.stderr, stderr),
        read_capped(result_reader, cap),
        process.wait(),
    )
    timed_out = False
    try:
        _, _, _, (result, cut), _ = await asyncio.wait_for(work, limits.timeout_seconds)
    except TimeoutError:
        timed_out = True
    finally:
        if process.returncode is None:
            _kill(process)
            await process.wait()
        out_of_memory = cgroup.memory_exceeded()
        cgroup.kill_and_remove()
        _live.pop(process.pid, None)
        transport.close()
    if timed_out:
        return ToolResult(
            status="error",
            func_return=(
                f"Error: tool '{name}' did not finish within {limits.timeout_seconds:g} seconds and was stopped."
            ),
            stdout=stdout.lines(),
            stderr=stderr.lines(),
        )
    return _result(name, process.returncode, result, cut, out_of_memory, stdout.lines(), stderr.lines(), limits)


async def _feed(process, data: bytes) -> None:
    try:
        process.stdin.write(data)
        await process.stdin.drain()
        process.stdin.close()
    except (BrokenPipeError, ConnectionResetError):
        pass


def _kill(process) -> None:
    try:
        if settings.TOOL_SANDBOX == "unsafe-none":
            os.killpg(process.pid, signal.SIGKILL)
        else:
            process.kill()  # bwrap: its pid namespace, and every process in it, ends with it
    except ProcessLookupError:
        pass


def _failure(name: str, returncode: int, out_of_memory: bool, limits: SandboxLimits) -> str:
    if out_of_memory:
        why = f"ran out of memory (the cap for the tool and all its processes is {limits.memory_bytes >> 20} MB)"
    elif returncode < 0 or returncode >= 128:
        why = "was killed (out of memory, CPU time or another cap)"
    else:
        why = f"exited with code {returncode}"
    return f"Error: tool '{name}' {why} before returning."


def _result(name, returncode, result, cut, out_of_memory, stdout, stderr, limits) -> ToolResult:
    if cut:
        return ToolResult(status="error", func_return=f"Error: tool '{name}' returned more than the server accepts.")
    try:
        outcome = json.loads(result)
    except ValueError:
        return ToolResult(
            status="error", func_return=_failure(name, returncode, out_of_memory, limits), stdout=stdout, stderr=stderr
        )
    value = str(outcome.get("value", ""))
    if outcome.get("cut"):
        value += f"... [return value cut at {settings.TOOL_RESULT_MAX_BYTES} characters]"
    if outcome.get("status") == "success":
        memory = outcome.get("memory") if isinstance(outcome.get("memory"), dict) else {}
        return ToolResult(status="success", func_return=value, stdout=stdout, stderr=stderr, block_values=memory)
    return ToolResult(
        status="error",
        func_return=f"Error executing function {name}: {value}",
        stdout=stdout,
        stderr=stderr + str(outcome.get("trace", "")).splitlines(),
    )


@atexit.register
def _kill_live() -> None:
    """A stopping server takes its running sandboxes with it (bwrap's --die-with-parent covers a killed one)."""
    for pid, cgroup in list(_live.items()):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        cgroup.kill_and_remove()
    _live.clear()


def warn_if_unconfined() -> None:
    if settings.TOOL_SANDBOX == "unsafe-none":
        log.warning(
            "LETTA_TOOL_SANDBOX=unsafe-none: custom tools run WITHOUT a sandbox and can read and change everything "
            "this server can. Use it only on a trusted single-user server."
        )
