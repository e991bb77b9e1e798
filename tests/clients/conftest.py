"""Letta's real clients against the live server: Letta Code (npm) in headless mode and letta-evals (PyPI), both
installed once into a cache outside the repository (tests/clients/install.py), the model behind them the fake
provider. These tests need the live server, node and the registries (the first time), so they run on the SQLite
leg only (tests/conftest.py)."""

import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from accounts import services as accounts
from accounts.models import Organization
from tests.clients import install


@pytest.fixture(scope="session")
def letta_code_js() -> Path:
    try:
        return install.letta_code()
    except install.ClientInstallError as error:
        pytest.fail(f"Letta Code {install.LETTA_CODE_VERSION} could not be installed: {error}", pytrace=False)


@pytest.fixture(scope="session")
def letta_code_bin(letta_code_js) -> Path:
    return install.letta_code_bin()


@pytest.fixture(scope="session")
def letta_evals_bin() -> Path:
    try:
        return install.letta_evals()
    except install.ClientInstallError as error:
        pytest.fail(f"letta-evals {install.LETTA_EVALS_VERSION} could not be installed: {error}", pytrace=False)


@pytest.fixture
def letta_key(letta_server, db) -> str:
    _, key = accounts.create_api_key(organization_id=Organization.default().id, name="letta code")
    return key


@dataclass
class Run:
    returncode: int
    events: list[dict]
    stderr: str

    def of_type(self, kind: str) -> list[dict]:
        return [e for e in self.events if e.get("type") == kind]

    @property
    def result(self) -> dict:
        results = self.of_type("result")
        assert results, f"no result event (exit {self.returncode}):\n{self.stderr[-3000:]}\n{self.events[-5:]}"
        return results[-1]


@pytest.fixture
def client_env(tmp_path, letta_server, letta_key) -> dict[str, str]:
    """The environment of a user who points Letta's clients at this server: a home of their own (Letta Code keeps
    its settings and its last agent there), no telemetry, no update checks."""
    home = tmp_path / "home"
    home.mkdir()
    return {
        "PATH": os.environ["PATH"],
        "HOME": str(home),
        "LETTA_BASE_URL": letta_server.url,
        "LETTA_API_KEY": letta_key,
        "LETTA_CODE_TELEM": "0",
        "DISABLE_AUTOUPDATER": "1",
        "NO_COLOR": "1",
    }


@pytest.fixture
def letta(letta_code_js, client_env, tmp_path):
    """Runs `letta <args>` headless with stream-json output in a project folder, answering the parsed events."""
    project = tmp_path / "project"
    project.mkdir()

    def run(*args: str, timeout: int = 120) -> Run:
        argv = ["node", str(letta_code_js), *args, "--output-format", "stream-json"]
        done = subprocess.run(argv, cwd=project, env=client_env, capture_output=True, text=True, timeout=timeout)
        events = []
        for line in done.stdout.splitlines():
            try:
                events.append(json.loads(line))
            except json.JSONDecodeError:
                continue  # a warning printed among the events
        return Run(done.returncode, events, done.stderr + done.stdout[-3000:])

    run.project = project
    return run
