"""A tool reads nothing of the server: not its environment, its /proc entries, its data or the project tree; and
writes only to its scratch directory, which is gone afterwards."""

import os
from pathlib import Path

import pytest
from django.conf import settings as django_settings

pytestmark = pytest.mark.asyncio

PROJECT = Path(__file__).resolve().parents[3]
SHARED = {b"", b"PATH", b"HOME", b"LANG", b"PWD"}  # what a tool gets too

READ = """
def read(path: str) -> str:
    try:
        with open(path, "rb") as f:
            return "READ " + repr(f.read(200))
    except OSError as exc:
        return "refused " + type(exc).__name__
"""

WRITE = """
def write(path: str) -> str:
    try:
        with open(path, "w") as f:
            f.write("owned")
        return "WROTE"
    except OSError as exc:
        return "refused " + type(exc).__name__
"""


@pytest.fixture
def server_secrets(monkeypatch):
    monkeypatch.setenv("DJANGO_SECRET_KEY", "server-secret-key-xyz")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-provider-key-xyz")


async def test_the_servers_environment_is_not_in_the_tools(run, server_secrets):
    source = "import os\ndef env() -> str:\n    return repr(dict(os.environ))\n"
    result = await run(source, "env")
    assert result.ok
    assert "server-secret-key-xyz" not in result.func_return and "sk-provider-key-xyz" not in result.func_return


async def test_the_parents_proc_environ_is_out_of_reach(run):
    """/proc/PID/environ holds the environment a process started with (what a server got from its operator)."""
    source = """
import os
def peek() -> str:
    found = []
    for pid in [os.getppid()] + [p for p in os.listdir("/proc") if p.isdigit()]:
        try:
            with open(f"/proc/{pid}/environ", "rb") as f:
                found.append(f.read())
        except OSError:
            pass
    return repr(b"".join(found))
"""
    ours = [e for e in Path("/proc/self/environ").read_bytes().split(b"\0") if e.split(b"=")[0] not in SHARED]
    result = await run(source, "peek")
    assert result.ok
    assert ours and not [entry for entry in ours if repr(entry)[2:-1] in result.func_return]


@pytest.mark.parametrize("where", ["data", "project"])
async def test_the_database_and_project_files_cannot_be_read(run, where, tmp_path):
    if where == "data":
        target = Path(django_settings.DATA_DIR) / "probe.sqlite3"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(b"SQLite format 3\x00 every organization's rows")
    else:
        target = PROJECT / "letta_project" / "settings.py"
    try:
        result = await run(READ, "read", {"path": str(target)})
    finally:
        if where == "data":
            target.unlink()
    assert result.func_return.startswith("refused"), result.func_return


async def test_the_project_tree_cannot_be_written(run):
    target = PROJECT / "tool-was-here.txt"
    await run(WRITE, "write", {"path": str(target)})
    # Refused, or (a checkout under /tmp) written into the sandbox's own /tmp: never into the host's tree.
    assert not target.exists()


@pytest.mark.parametrize("path", ["/tmp/../etc/owned", "/usr/owned", "/run/owned", "/owned"])
async def test_nothing_outside_scratch_can_be_written(run, path):
    result = await run(WRITE, "write", {"path": path})
    assert result.func_return.startswith("refused"), (path, result.func_return)


async def test_the_scratch_directory_is_the_cwd_and_is_gone_afterwards(run, tmp_path):
    source = """
import os
def leave() -> str:
    with open("left.txt", "w") as f:
        f.write("x")
    with open("/tmp/left.txt", "w") as f:
        f.write("x")
    return os.getcwd()
"""
    before = set(os.listdir("/tmp"))
    first = await run(source, "leave")
    assert first.ok, first.func_return
    check = "import os\ndef look() -> str:\n    return repr(sorted(os.listdir('.')) + sorted(os.listdir('/tmp')))\n"
    second = await run(check, "look")
    # (A checkout under /tmp shows its folder there, empty: where the virtualenv is bound.)
    assert "left.txt" not in second.func_return
    assert not any("left.txt" in name for name in set(os.listdir("/tmp")) - before)
    assert not Path(first.func_return, "left.txt").exists()
