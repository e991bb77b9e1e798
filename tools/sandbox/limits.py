"""Resource caps for one sandboxed process tree: a per-run cgroup where the host lets us make one, rlimits always.

A cgroup caps the whole tree (memory of all its processes together, how many processes exist at once) and lets us
kill every member at the end; rlimits are per process (CPU seconds, file size, open files, address space) and are
the backstop where no cgroup can be made. cgroup v1 (one hierarchy per controller, as on this kind of machine) and
v2 (one unified hierarchy) are both handled. Stdlib only: `launch.py` loads this file outside Django.
"""

import os
import resource
import signal
import uuid
from dataclasses import dataclass
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")


@dataclass(frozen=True, slots=True)
class SandboxLimits:
    timeout_seconds: float = 30.0
    cpu_seconds: int = 30
    memory_bytes: int = 512 << 20  # the whole tree with a cgroup, else each process's address space
    max_processes: int = 64
    file_size_bytes: int = 64 << 20
    open_files: int = 256
    scratch_bytes: int = 64 << 20

    @property
    def address_space_bytes(self) -> int:
        # Per process, above the tree cap: CPython and the runtime's shared libraries map far more than they touch,
        # so an address-space cap equal to the memory cap would refuse tools that fit in it.
        return max(self.memory_bytes * 2, 1 << 30)


def apply_rlimits(limits: SandboxLimits) -> None:
    """In the child before exec: inherited by every process of the tree."""
    for which, value in (
        (resource.RLIMIT_CPU, limits.cpu_seconds),
        (resource.RLIMIT_FSIZE, limits.file_size_bytes),
        (resource.RLIMIT_NOFILE, limits.open_files),
        (resource.RLIMIT_AS, limits.address_space_bytes),
        (resource.RLIMIT_CORE, 0),
    ):
        resource.setrlimit(which, (value, value))


def _own_path(controller: str) -> str:
    """This process's cgroup for a v1 controller ('' for the v2 hierarchy), so runs nest under the server's."""
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return "/"
    for line in lines:
        _, names, path = line.split(":", 2)
        if (controller and controller in names.split(",")) or (not controller and names == ""):
            return path
    return "/"


def _v2_has(controllers: set[str]) -> bool:
    try:
        return controllers <= set((CGROUP_ROOT / "cgroup.controllers").read_text().split())
    except OSError:
        return False


class RunCgroup:
    """One run's cgroup (a directory per controller on v1, one on v2). `dirs` is empty when none could be made."""

    def __init__(self, dirs: list[Path]):
        self.dirs = dirs

    @property
    def active(self) -> bool:
        return bool(self.dirs)

    def join(self, pid: int = 0) -> None:
        """Move `pid` (0 = the calling process) into the cgroup; called in the child before exec."""
        for directory in self.dirs:
            (directory / "cgroup.procs").write_text(str(pid or os.getpid()))

    def pids(self) -> set[int]:
        found: set[int] = set()
        for directory in self.dirs:
            try:
                found.update(int(p) for p in (directory / "cgroup.procs").read_text().split())
            except OSError:
                pass
        return found

    def memory_exceeded(self) -> bool:
        for directory in self.dirs:
            for name in ("memory.failcnt", "memory.events"):
                try:
                    text = (directory / name).read_text()
                except OSError:
                    continue
                if name == "memory.failcnt" and int(text.strip() or 0) > 0:
                    return True
                if name == "memory.events" and any(
                    line.split()[0] in ("oom", "oom_kill", "max") and int(line.split()[1]) > 0
                    for line in text.splitlines()
                ):
                    return True
        return False

    def kill_and_remove(self) -> None:
        """SIGKILL whatever is left in the cgroup (a process that escaped the pid namespace's end cannot exist,
        but this costs nothing), then remove the directories."""
        for _ in range(50):
            left = self.pids()
            if not left:
                break
            for pid in left:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            os.sched_yield()
        for directory in self.dirs:
            try:
                directory.rmdir()
            except OSError:
                pass
        self.dirs = []


def _make(parent: Path, name: str, settings: dict[str, str]) -> Path | None:
    directory = parent / name
    try:
        directory.mkdir()
    except OSError:
        return None
    try:
        for file, value in settings.items():
            target = directory / file
            if target.exists():
                target.write_text(value)
    except OSError:
        directory.rmdir()
        return None
    return directory


def _parents(controller: str) -> list[Path]:
    mount = CGROUP_ROOT / controller if controller else CGROUP_ROOT
    own = mount / _own_path(controller).lstrip("/")
    return [own, mount] if own != mount else [mount]


def create_cgroup(limits: SandboxLimits) -> RunCgroup:
    """A fresh cgroup capping memory and process count, or an inactive one where the host allows none."""
    name = f"letta-tool-{uuid.uuid4().hex[:12]}"
    memory = str(limits.memory_bytes)
    if _v2_has({"memory", "pids"}):
        for parent in _parents(""):
            directory = _make(
                parent, name, {"memory.max": memory, "memory.swap.max": "0", "pids.max": str(limits.max_processes)}
            )
            if directory:
                return RunCgroup([directory])
        return RunCgroup([])
    made: list[Path] = []
    wanted = {
        "memory": {"memory.limit_in_bytes": memory, "memory.memsw.limit_in_bytes": memory},
        "pids": {"pids.max": str(limits.max_processes)},
    }
    for controller, values in wanted.items():
        if not (CGROUP_ROOT / controller).is_dir():
            break
        directory = next((d for p in _parents(controller) if (d := _make(p, name, values))), None)
        if directory is None:
            break
        made.append(directory)
    if len(made) != len(wanted):  # half a cgroup would give a false sense of the caps: use none
        RunCgroup(made).kill_and_remove()
        return RunCgroup([])
    return RunCgroup(made)
