"""A throwaway Redis server for the PostgreSQL leg (`pytest --postgres`), where the live servers share run events
through it as a deployment of several processes does.

The binary is Debian's `redis-server` (`make test` installs it when missing, as root on CI). It listens on a free
loopback port, keeps nothing on disk (no RDB snapshots, no AOF) in a temporary directory, and is stopped and deleted
when the session ends. Never a fake: the point is the real server's pub/sub and the real channels_redis client.
"""

import shutil
import subprocess
import tempfile

import redis

from tests.api.live_server import _die_with_parent, free_port
from tests.waiting import wait_until

INSTALL_HINT = (
    "the PostgreSQL leg needs Redis's `redis-server` on the PATH: install it with "
    "`apt-get install -y --no-install-recommends redis-server` (as root; `make test` does this when it is missing)"
)


class RedisServer:
    def __init__(self):
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError(INSTALL_HINT)
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.directory = tempfile.mkdtemp(prefix="letta-redis-")
        self.log = tempfile.TemporaryFile()
        settings = ["--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        self.process = subprocess.Popen(
            [binary, *settings, "--dir", self.directory, "--daemonize", "no", "--protected-mode", "yes"],
            stdout=self.log,
            stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent,
        )
        try:
            wait_until(self._answers, message=f"redis-server to answer on port {self.port}", timeout=30, interval=0.05)
        except BaseException:
            self.stop()
            raise

    def _answers(self) -> bool:
        if self.process.poll() is not None:
            self.log.seek(0)
            raise RuntimeError(f"redis-server exited: {self.log.read().decode(errors='replace')[-2000:]}")
        try:
            with redis.Redis.from_url(self.url, socket_timeout=1) as client:
                return client.ping()
        except redis.RedisError:
            return False

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()
        shutil.rmtree(self.directory, ignore_errors=True)
