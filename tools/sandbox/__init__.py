"""Running custom tool code, and any other untrusted process, in an OS-level sandbox (bubblewrap).

For tools: `run_custom_tool(source, name, args, schema=, return_char_limit=, env=, timeout_seconds=,
organization_id=, network=NetworkGrant(hosts=[...]) | None)` and the lower `run_tool_source`. Each run takes a
slot (LETTA_TOOL_CONCURRENCY per server process, LETTA_TOOL_CONCURRENCY_PER_ORG per organization), runs the
tool's function in a fresh sandbox (see `bwrap.py` for what it sees), caps the tree's memory and process count
with a per-run cgroup where the host allows one and every process's CPU time, file size, open files and address
space with rlimits (`limits.py`), reads stdout/stderr up to a byte and a per-line cap (`output.py`) and takes the
return value from a channel of its own (`runner.py`). Network is off unless granted (`egress.py`).

For other processes (stdio MCP servers), the same confinement as a command line:
- `sandboxed_argv(argv, *, network=None, env={}) -> list[str]`: spawn the returned argv in place of `argv` (with
  any spawner, e.g. the MCP SDK's stdio client); the process runs in its own sandbox, cgroup and rlimits (timeout
  excepted: it lives as long as its spawner keeps it), sees nothing of the server, has no network, and gets only
  `env` (plus PATH, HOME, LANG). The command must live under /usr or the Python runtime (e.g. a console script in
  the virtualenv's bin/). Raises SandboxUnavailable (message says how to enable bwrap) when there is no sandbox.
- `async with sandboxed_command(argv, network=NetworkGrant(...), env={}, organization_id=..., name=...) as argv:`
  the same, with network grants: the egress proxy lives as long as the block.
With LETTA_TOOL_SANDBOX=unsafe-none both return `argv` unchanged (only rlimits/cgroup through the launcher).
"""

import contextlib
import json
import sys
from dataclasses import asdict
from pathlib import Path

from django.conf import settings

from tools.context import ToolResult
from tools.sandbox import egress
from tools.sandbox.bwrap import INSIDE_RUNNER, RUNNER, SandboxUnavailable, bwrap_command, ready_bwrap
from tools.sandbox.egress import NetworkGrant
from tools.sandbox.limits import SandboxLimits
from tools.sandbox.run import limits_from_settings, run_tool_source, warn_if_unconfined
from tools.schema import check_arguments

__all__ = [
    "NetworkGrant",
    "SandboxLimits",
    "SandboxUnavailable",
    "run_custom_tool",
    "run_tool_source",
    "sandboxed_argv",
    "sandboxed_command",
    "warn_if_unconfined",
]

LAUNCHER = str(Path(__file__).with_name("launch.py"))


async def run_custom_tool(
    source: str,
    name: str,
    args: dict,
    *,
    schema: dict | None,
    return_char_limit: int,
    env: dict[str, str] | None = None,
    timeout_seconds: float | None = None,
    organization_id: str | None = None,
    network: NetworkGrant | None = None,
    agent_state: dict | None = None,
) -> ToolResult:
    """A custom tool call as the agent loop and the API make it: arguments checked against the tool's schema
    first (a clear error instead of a TypeError from the child), the return cut to the tool's limit."""
    if schema and (problems := check_arguments(schema, args)):
        return ToolResult(status="error", func_return=f"Error: {name}() {'; '.join(problems)}.")
    result = await run_tool_source(
        source,
        name,
        args,
        env=env,
        limits=limits_from_settings(timeout_seconds),
        organization_id=organization_id,
        network=network,
        agent_state=agent_state,
    )
    text = result.func_return
    if len(text) > return_char_limit:
        result.func_return = (
            f"{text[:return_char_limit]}... [NOTE: function output was truncated since it exceeded "
            f"the character limit ({len(text)} > {return_char_limit})]"
        )
    return result


def _launched(command: list[str], limits: SandboxLimits) -> list[str]:
    return [sys.executable, "-I", "-B", LAUNCHER, json.dumps(asdict(limits)), *command]


def _confined(argv: list[str], env: dict[str, str], egress_socket: str | None) -> list[str]:
    limits = limits_from_settings()
    if settings.TOOL_SANDBOX == "unsafe-none":
        return _launched(list(argv), limits)
    inner, binds = list(argv), []
    if egress_socket:  # the runner's forwarder gives the process its granted network
        inner, binds = [sys.executable, "-I", "-B", INSIDE_RUNNER, "--forward", *inner], [(str(RUNNER), INSIDE_RUNNER)]
    command = bwrap_command(
        ready_bwrap(), inner, env=env, scratch_bytes=limits.scratch_bytes, egress_socket=egress_socket, binds=binds
    )
    return _launched(command, limits)


def sandboxed_argv(
    argv: list[str], *, network: NetworkGrant | None = None, env: dict[str, str] | None = None
) -> list[str]:
    if network and network.hosts:
        raise ValueError("a network grant needs the proxy's lifetime: use `async with sandboxed_command(...)`")
    return _confined(argv, env or {}, None)


@contextlib.asynccontextmanager
async def sandboxed_command(
    argv: list[str],
    *,
    network: NetworkGrant | None = None,
    env: dict[str, str] | None = None,
    organization_id: str | None = None,
    name: str = "",
):
    hosts = egress.granted_hosts(organization_id, name, network)
    if not hosts or settings.TOOL_SANDBOX == "unsafe-none":
        yield _confined(argv, env or {}, None)
        return
    async with egress.proxy(hosts) as socket_path:
        yield _confined(argv, env or {}, socket_path)
