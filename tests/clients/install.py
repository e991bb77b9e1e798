"""Installs the real Letta clients the end-to-end tests drive, once, into a cache outside the repository.

Letta Code comes from its packed npm tarball plus `ws`: a plain `npm install` of the package fails on two pinned
optional dependencies the registry does not have, and the tarball's single bundled `letta.js` needs nothing else on
node 20. letta-evals gets a virtualenv of its own, since it pins its own letta-client.

Run `python -m tests.clients.install` to fill the cache ahead of a test run. Set LETTA_CLIENTS_CACHE to move it.
"""

import fcntl
import os
import shutil
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

LETTA_CODE_VERSION = "0.32.18"
LETTA_EVALS_VERSION = "0.26.0"


class ClientInstallError(RuntimeError):
    """A client could not be installed: the message says which, what failed and what to check."""


def cache_dir() -> Path:
    return Path(os.environ.get("LETTA_CLIENTS_CACHE") or Path.home() / ".cache" / "letta-clients")


@contextmanager
def _locked(cache: Path):
    # Two test processes (the SQLite and PostgreSQL legs) may install at once: the second waits, then finds it done.
    cache.mkdir(parents=True, exist_ok=True)
    with open(cache / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _run(what: str, argv: list[str], cwd: Path, timeout: int = 600) -> None:
    try:
        done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    except FileNotFoundError:
        raise ClientInstallError(f"{what}: `{argv[0]}` is not installed on this machine.") from None
    except subprocess.TimeoutExpired:
        raise ClientInstallError(
            f"{what}: `{' '.join(argv)}` took over {timeout} s (is the registry reachable?)."
        ) from None
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip()[-1500:]
        raise ClientInstallError(
            f"{what}: `{' '.join(argv)}` failed (exit {done.returncode}); is the registry reachable?\n{tail}"
        )


def _install_once(target: Path, build) -> Path:
    """Builds `target` in place and marks it complete last, so a half-done install (a killed run) is redone.
    In place rather than renamed into place: a virtualenv's scripts name their own absolute path."""
    done = target / ".complete"
    if done.exists():
        return target
    with _locked(target.parent):
        if done.exists():
            return target
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir()
        try:
            build(target)
        except BaseException:
            shutil.rmtree(target, ignore_errors=True)
            raise
        done.touch()
    return target


def letta_code() -> Path:
    """The path of Letta Code's `letta.js` (run it with `node`)."""

    def build(folder: Path) -> None:
        spec = f"@letta-ai/letta-code@{LETTA_CODE_VERSION}"
        _run(f"Downloading Letta Code {LETTA_CODE_VERSION} from npm", ["npm", "pack", spec, "--silent"], folder)
        tarball = next(folder.glob("*.tgz"))
        _run("Unpacking Letta Code", ["tar", "xzf", tarball.name], folder)
        tarball.unlink()
        # `ws` sits in the folder above the package, where node's module lookup from package/letta.js finds it.
        (folder / "package.json").write_text('{"private": true}\n')
        _run("Installing ws for Letta Code", ["npm", "install", "--no-package-lock", "--no-audit", "ws@8"], folder)
        # letta-evals runs `letta` from PATH: this folder on PATH is that command.
        (folder / "bin").mkdir()
        shim = folder / "bin" / "letta"
        shim.write_text(f'#!/bin/sh\nexec node "{folder / "package" / "letta.js"}" "$@"\n')
        shim.chmod(0o755)

    root = _install_once(cache_dir() / f"letta-code-{LETTA_CODE_VERSION}", build)
    return root / "package" / "letta.js"


def letta_code_bin() -> Path:
    """The folder holding a `letta` command (for PATH)."""
    return letta_code().parents[1] / "bin"


def letta_evals() -> Path:
    """The `letta-evals` command inside its own virtualenv."""

    def build(folder: Path) -> None:
        _run("Creating a virtualenv for letta-evals", [sys.executable, "-m", "venv", str(folder / "venv")], folder)
        pip = [
            str(folder / "venv" / "bin" / "python"),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
        ]
        _run(
            f"Installing letta-evals {LETTA_EVALS_VERSION} from PyPI",
            [*pip, f"letta-evals=={LETTA_EVALS_VERSION}"],
            folder,
        )

    root = _install_once(cache_dir() / f"letta-evals-{LETTA_EVALS_VERSION}", build)
    return root / "venv" / "bin" / "letta-evals"


if __name__ == "__main__":
    print(letta_code())
    print(letta_evals())
