"""Finding bubblewrap and building the command that confines one process tree.

What the sandbox sees: read-only binds of the system runtime (/usr and the /bin, /lib* links), a minimal /etc, the
Python runtime (`sys.base_prefix` and the virtualenv's `sys.prefix`), the runner script, a size-capped tmpfs as
its cwd, HOME and /tmp (gone when the sandbox ends), a new /proc of its own pid namespace and a minimal /dev. Not
the project tree, the data directory, /root, /work or the server's cwd. Every namespace is new (user, pid, net,
ipc, uts, cgroup), it runs as uid/gid 65534 with every capability dropped, in a new session (no terminal to
inject into), with an environment holding only PATH, HOME, LANG and what the caller passes. `--die-with-parent`
kills the tree with the process that started bwrap; when the tool's first process exits, or bwrap is killed, the
pid namespace ends and the kernel kills every process left in it, a `setsid()` grandchild too.
"""

import functools
import os
import shutil
import subprocess
import sys
from pathlib import Path

from django.conf import settings

RUNNER = Path(__file__).with_name("runner.py")
INSIDE_RUNNER = "/run/letta/runner.py"
INSIDE_EGRESS = "/run/letta/egress.sock"
SCRATCH = "/scratch"
UID = 65534
PATH = "/usr/local/bin:/usr/bin:/bin"

# Enough of /etc for the dynamic loader, TLS and time zones; name resolution only when a network grant exists.
_ETC = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "ssl", "ca-certificates", "ca-certificates.conf", "localtime")
_ETC_NETWORK = ("hosts", "nsswitch.conf", "resolv.conf", "host.conf", "gai.conf")
_TOP_LEVEL = ("bin", "sbin", "lib", "lib32", "lib64", "libx32")


class SandboxUnavailable(Exception):
    """bwrap is missing or cannot start a sandbox on this host; the message says how to enable it."""


HOW_TO_ENABLE = (
    "Install bubblewrap (`apt-get install bubblewrap`, or `make install`, which puts bwrap into .venv/bin/), or "
    "name a bwrap binary in LETTA_TOOL_SANDBOX_BWRAP. Only on a trusted single-user server, "
    "LETTA_TOOL_SANDBOX=unsafe-none runs tools unconfined."
)


def find_bwrap() -> str | None:
    """The operator's LETTA_TOOL_SANDBOX_BWRAP when set (then only that one), else bwrap on PATH, else beside the
    server's Python (where `make install` puts it)."""
    if named := settings.TOOL_SANDBOX_BWRAP:
        return named if os.access(named, os.X_OK) else None
    if found := shutil.which("bwrap"):
        return found
    beside = Path(sys.executable).parent / "bwrap"
    return str(beside) if os.access(beside, os.X_OK) else None


def _ro(path: str | Path) -> list[str]:
    return ["--ro-bind", str(path), str(path)]


def _system_binds(network: bool) -> list[str]:
    args = _ro("/usr")
    for name in _TOP_LEVEL:
        top = Path("/") / name
        if top.is_symlink():
            args += ["--symlink", os.readlink(top), str(top)]
        elif top.is_dir():
            args += _ro(top)
    for name in _ETC + (_ETC_NETWORK if network else ()):
        if (Path("/etc") / name).exists():
            args += _ro(Path("/etc") / name)
    return args


def _python_binds() -> list[str]:
    args: list[str] = []
    seen: list[Path] = []
    for prefix in (sys.base_prefix, sys.prefix, Path(sys.executable).resolve().parent.parent):
        path = Path(prefix).resolve()
        if any(path == s or path.is_relative_to(s) for s in seen) or str(path).startswith("/usr"):
            continue
        seen.append(path)
        args += _ro(path)
    return args


def bwrap_command(
    bwrap: str,
    argv: list[str],
    *,
    env: dict[str, str],
    scratch_bytes: int,
    egress_socket: str | None = None,
    binds: list[tuple[str, str]] = (),
    writable: list[str] = (),
) -> list[str]:
    """bwrap's argv confining `argv`. `binds` are extra (outside, inside) read-only binds, e.g. the runner;
    `writable` paths are bound read-write where they are (what a caller hands the process on purpose)."""
    args = [bwrap, "--unshare-all", "--unshare-user", "--uid", str(UID), "--gid", str(UID), "--hostname", "sandbox"]
    args += ["--die-with-parent", "--new-session", "--cap-drop", "ALL"]
    # The sandbox's own /tmp first: the binds below may live under the host's /tmp (a virtualenv in a checkout
    # there, a directory handed over), and a tmpfs mounted after them would hide them.
    args += ["--size", str(scratch_bytes), "--tmpfs", SCRATCH, "--size", str(scratch_bytes), "--tmpfs", "/tmp"]
    args += _system_binds(network=egress_socket is not None) + _python_binds()
    for outside, inside in binds:
        args += ["--ro-bind", outside, inside]
    if egress_socket:
        args += ["--bind", egress_socket, INSIDE_EGRESS]
    args += ["--proc", "/proc", "--dev", "/dev"]
    for path in writable:
        args += ["--bind", path, path]
    args += ["--remount-ro", "/", "--chdir", SCRATCH, "--clearenv"]  # the root tmpfs, /etc etc. are read-only too
    for key, value in {"PATH": PATH, "HOME": SCRATCH, "LANG": "C.UTF-8", **env}.items():
        args += ["--setenv", key, value]
    return args + ["--", *argv]


def runner_argv(bwrap: str, *, scratch_bytes: int, egress_socket: str | None) -> list[str]:
    inner = [sys.executable, "-I", "-B", INSIDE_RUNNER]
    return bwrap_command(
        bwrap,
        inner,
        env={},
        scratch_bytes=scratch_bytes,
        egress_socket=egress_socket,
        binds=[(str(RUNNER), INSIDE_RUNNER)],
    )


@functools.cache
def _self_check(bwrap: str) -> str | None:
    """None when bwrap starts a sandbox here (checked once per binary and process), else why not."""
    argv = bwrap_command(bwrap, [sys.executable, "-I", "-c", "print('ok')"], env={}, scratch_bytes=1 << 20)
    try:
        done = subprocess.run(argv, capture_output=True, timeout=30, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"{bwrap} could not be started ({type(exc).__name__})"
    if done.returncode != 0 or done.stdout.strip() != b"ok":
        why = done.stderr.decode(errors="replace").strip().splitlines()[-1:] or [f"exit code {done.returncode}"]
        return f"{bwrap} failed its start-up check: {why[0][:300]}"
    return None


def ready_bwrap() -> str:
    """The bwrap binary to use; raises SandboxUnavailable saying how to enable one."""
    bwrap = find_bwrap()
    if bwrap is None:
        raise SandboxUnavailable(
            f"Custom tools cannot run: no bubblewrap (bwrap) sandbox is available on this server. {HOW_TO_ENABLE}"
        )
    if problem := _self_check(bwrap):
        raise SandboxUnavailable(f"Custom tools cannot run: {problem}. {HOW_TO_ENABLE}")
    return bwrap
