"""`sandboxed_argv` and `sandboxed_command`: another program (a stdio MCP server) confined like a tool."""

import asyncio
import sys
from pathlib import Path

import pytest

from tests.tools.sandbox.test_network import web  # noqa: F401 (a fixture)
from tools.sandbox import NetworkGrant, sandboxed_argv, sandboxed_command

pytestmark = pytest.mark.asyncio

PROJECT = Path(__file__).resolve().parents[3]
PROBE = (
    "import os, socket, sys\n"
    "print(os.getuid(), sorted(k for k in os.environ if k not in ('PWD', 'LC_CTYPE')), os.path.exists(sys.argv[1]))\n"
    "print(sys.stdin.readline().strip())\n"
)


async def communicate(argv: list[str], data: bytes = b"") -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        *argv, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await asyncio.wait_for(process.communicate(data), 30)
    return process.returncode, out.decode() + err.decode()


async def test_a_program_runs_confined_with_only_the_given_environment():
    # A file of the project, not its folder: the folder is there (empty) when the virtualenv lives inside it.
    argv = sandboxed_argv([sys.executable, "-c", PROBE, str(PROJECT / "manage.py")], env={"TZ": "UTC"})
    code, out = await communicate(argv, b"hello over stdio\n")
    assert code == 0, out
    assert out.splitlines() == ["65534 ['HOME', 'LANG', 'PATH', 'TZ'] False", "hello over stdio"]


async def test_a_grant_needs_the_proxys_lifetime():
    with pytest.raises(ValueError, match="sandboxed_command"):
        sandboxed_argv([sys.executable, "-c", "pass"], network=NetworkGrant(hosts=["example.com"]))


async def test_a_granted_program_reaches_only_the_granted_host(web):  # noqa: F811
    granted, other = web
    fetch = (
        "import sys, urllib.request\n"
        "for port in sys.argv[1:]:\n"
        "    try:\n"
        "        print(urllib.request.urlopen(f'http://127.0.0.1:{port}/', timeout=5).read().decode())\n"
        "    except Exception as exc:\n"
        "        print('refused', getattr(exc, 'code', type(exc).__name__))\n"
    )
    grant = NetworkGrant(hosts=[f"127.0.0.1:{granted}"])
    async with sandboxed_command([sys.executable, "-c", fetch, str(granted), str(other)], network=grant) as argv:
        code, out = await communicate(argv)
    assert out.splitlines() == [f"hello from {granted}", "refused 403"], out


async def test_a_directory_handed_over_is_writable_and_nothing_else(tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    code, out = await communicate(sandboxed_argv(["/usr/bin/git", "init", "-q", str(repo)], writable=[str(repo)]))
    assert code == 0, out
    assert (repo / ".git" / "HEAD").exists()
    # Elsewhere it writes into its own throwaway /tmp at most, never the host's.
    await communicate(sandboxed_argv(["/usr/bin/git", "init", "-q", str(tmp_path / "other")]))
    assert not (tmp_path / "other").exists()
