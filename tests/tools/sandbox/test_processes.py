"""A tool signals nothing outside its own tree, and its whole tree ends at the timeout and with the server."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.waiting import wait_until

pytestmark = pytest.mark.asyncio

PROJECT = Path(__file__).resolve().parents[3]


def running_with(marker: str) -> list[int]:
    """Pids of processes whose command line holds `marker` (a distinctive `sleep` argument)."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if marker.encode() in cmdline:
            found.append(int(pid))
    return found


def gone(marker: str) -> bool:
    return not running_with(marker)


async def test_a_process_outside_the_tool_cannot_be_signalled(run):
    outsider = subprocess.Popen(["sleep", "30"])
    source = """
import os
def hit(pid: int) -> str:
    try:
        os.kill(pid, 9)
        return "KILLED"
    except OSError as exc:
        return "refused " + type(exc).__name__
"""
    try:
        result = await run(source, "hit", {"pid": outsider.pid})
        assert result.func_return.startswith("refused")
        assert outsider.poll() is None
    finally:
        outsider.kill()
        outsider.wait()


async def test_a_setsid_grandchild_does_not_outlive_the_timeout(run, settings):
    source = """
import subprocess, time
def linger() -> str:
    subprocess.Popen(["sleep", "876543"], start_new_session=True)
    time.sleep(60)
"""
    result = await run(source, "linger", timeout_seconds=1.5)
    assert "did not finish within 1.5 seconds" in result.func_return
    wait_until(lambda: gone("876543"), timeout=5, message="the setsid grandchild to end")


async def test_tool_processes_die_with_a_killed_server(tmp_path):
    """The "server" here is a process of its own running one tool, SIGKILLed while the tool sleeps."""
    script = (
        "import asyncio, django; django.setup()\n"
        "from tools.sandbox import run_tool_source\n"
        'src = \'import subprocess\\ndef wait():\\n    subprocess.run(["sleep", "765432"])\\n\'\n'
        "asyncio.run(run_tool_source(src, 'wait', {}))\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "letta_project.settings"}
    server = subprocess.Popen([sys.executable, "-c", script], cwd=PROJECT, env=env)
    try:
        wait_until(lambda: running_with("765432"), message="the tool to start")
        server.send_signal(signal.SIGKILL)
        server.wait()
        wait_until(lambda: gone("765432"), timeout=5, message="the tool to end with its server")
    finally:
        server.kill()
        for pid in running_with("765432"):
            os.kill(pid, signal.SIGKILL)


async def test_a_hundred_forks_are_capped(run, settings):
    settings.TOOL_MAX_PROCESSES = 20
    source = """
import subprocess
def spawn() -> int:
    started = []
    for _ in range(100):
        try:
            started.append(subprocess.Popen(["sleep", "30"]))
        except OSError:
            pass
    return len(started)
"""
    began = time.monotonic()
    result = await run(source, "spawn")
    assert result.ok, result.func_return
    assert int(result.func_return) < 20
    assert time.monotonic() - began < 15  # the sleepers ended with the sandbox; nothing waited on them
