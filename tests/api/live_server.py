"""A real ASGI server (daphne, in a subprocess) serving the project against pytest's test database.

A subprocess rather than a thread: Twisted's reactor runs once per process and wants the main thread. The
process gets what it must share with the tests through the environment: the test database (tests using it
need `transaction=True`, so their writes are committed and visible), the secret key (secrets the tests store are
encrypted under a key derived from it; on DATABASE_URL the server would not start without one) and the fake
provider's URL.
"""

import ctypes
import os
import signal
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx
from django.conf import settings

from tests.postgres import database_env
from tests.waiting import wait_until

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def listen_endpoint(port: int) -> str:
    """Where daphne listens, with a listen backlog of 2,048 (as `make run`): Twisted's default of 50 resets
    connections when hundreds arrive at once."""
    return f"tcp:port={port}:interface=127.0.0.1:backlog=2048"


def _die_with_parent() -> None:
    # If pytest is killed (a CI timeout), fixture teardown never runs; the kernel then ends the server too
    # instead of leaving it holding the test database open (Linux only; elsewhere teardown has to do).
    if sys.platform == "linux":
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def stop_process(process: subprocess.Popen, timeout: float) -> None:
    """Ask `process` to stop (SIGTERM, so it can end its work as a real shutdown would), then kill it if it has not
    within `timeout` seconds."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class LiveServer:
    def __init__(self, env: dict[str, str]):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        environment = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "letta_project.settings",
            "LETTA_LOG_LEVEL": "WARNING",
            "LETTA_SERVER_URL": self.url,
            "DJANGO_SECRET_KEY": settings.SECRET_KEY,
            **env,
        }
        # A file, not a pipe: nobody reads a pipe while tests run, and a full one would block the server's logging.
        self.log = tempfile.TemporaryFile()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "daphne", "-e", listen_endpoint(self.port), "letta_project.asgi:application"],
            cwd=ROOT,
            env=environment,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent,
        )
        self._wait_until_up()

    def _wait_until_up(self) -> None:
        try:
            wait_until(self._healthy, message=f"daphne to answer {self.url}/v1/health/", timeout=60, interval=0.05)
        except BaseException:
            self.close()
            raise

    def _healthy(self) -> bool:
        if self.process.poll() is not None:
            raise RuntimeError(f"daphne exited: {self.output()[-2000:]}")
        try:
            return httpx.get(f"{self.url}/v1/health/", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read().decode(errors="replace")

    def close(self) -> None:
        stop_process(self.process, timeout=10)
        self.log.close()


class WorkerProcess:
    """`manage.py letta_worker` in a subprocess, on the test database with `env` (as a LiveServer gets it)."""

    def __init__(self, env: dict[str, str], *args: str):
        self.log = tempfile.TemporaryFile()
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "letta_worker", *args],
            cwd=ROOT,
            env={
                **os.environ,
                "DJANGO_SETTINGS_MODULE": "letta_project.settings",
                "DJANGO_SECRET_KEY": settings.SECRET_KEY,
                "LETTA_LOG_LEVEL": "INFO",
                "PYTHONUNBUFFERED": "1",
                **env,
            },
            stdout=self.log,
            stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent,
        )
        wait_until(lambda: "serving" in self._started(), message="the worker to start", timeout=60, interval=0.05)

    def _started(self) -> str:
        if self.process.poll() is not None:
            raise RuntimeError(f"the worker exited: {self.output()[-2000:]}")
        return self.output()

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read().decode(errors="replace")

    def close(self) -> None:
        stop_process(self.process, timeout=20)
        self.log.close()


def live_server_env(fake_openai_server, fake_anthropic_server, **extra: str) -> dict[str, str]:
    """What a live server needs to serve the tests: the test database and providers pointed at the fake servers."""
    return {
        **database_env(settings.DATABASES["default"]),
        "OPENAI_BASE_URL": fake_openai_server.base_url,
        "OPENAI_API_KEY": "sk-test",
        "ANTHROPIC_BASE_URL": fake_anthropic_server.base_url,
        "ANTHROPIC_API_KEY": "sk-ant-test",
        "LETTA_LLM_MAX_RETRIES": "0",
        # The operator lets the server reach the fake services by the name `localhost` (tests that need it
        # address them so); 127.0.0.1 itself stays refused, as it is by default.
        "LETTA_OUTBOUND_ALLOW": "localhost",
        **extra,
    }


def sdk(server: LiveServer, organization):
    """The unmodified `letta-client` SDK against `server`, with a new key of `organization`; no retries, so a
    test sees each answer as the server gave it."""
    from letta_client import Letta

    from accounts import services as accounts

    _, key = accounts.create_api_key(organization_id=organization.id, name="sdk test")
    return Letta(base_url=server.url, api_key=key, max_retries=0)
