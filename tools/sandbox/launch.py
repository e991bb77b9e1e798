"""Starts a long-lived sandboxed process (a stdio MCP server) in a cgroup of its own, outside Django.

`python -I launch.py '<limits as JSON>' bwrap ...`: makes the run's cgroup, starts bwrap in it under the rlimits
with stdin/stdout/stderr passed straight through, forwards SIGTERM/SIGINT, and when bwrap ends kills what is left
and removes the cgroup. It dies with its own parent (the server), which kills the sandbox with it. Stdlib only.
"""

import ctypes
import importlib.util
import json
import os
import signal
import sys
from pathlib import Path

PR_SET_PDEATHSIG = 1


def _limits_module():
    spec = importlib.util.spec_from_file_location("_sandbox_limits", Path(__file__).with_name("limits.py"))
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


def main() -> int:
    limits_module = _limits_module()
    limits = limits_module.SandboxLimits(**json.loads(sys.argv[1]))
    command = sys.argv[2:]
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    cgroup = limits_module.create_cgroup(limits)
    child = os.fork()
    if child == 0:
        try:
            cgroup.join()
            limits_module.apply_rlimits(limits)
            os.execv(command[0], command)
        finally:
            os._exit(127)

    def forward(signum, _frame):
        os.kill(child, signal.SIGKILL)

    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, forward)
    try:
        _, status = os.waitpid(child, 0)
    finally:
        cgroup.kill_and_remove()
    return os.waitstatus_to_exitcode(status) if status >= 0 else 1


if __name__ == "__main__":
    sys.exit(main())
