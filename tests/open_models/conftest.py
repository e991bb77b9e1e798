"""A real open model behind a real OpenAI-compatible server: llama-cpp-python's server (installed once into a cache
outside the repository, tests/open_models/install.py) serving Gemma 3 270M on the CPU, for the whole session. The
live server (daphne) reaches it through a provider its user creates, as one would for a llama.cpp server on their
own machine. These tests test the wire, not the database, so they run on the SQLite leg only (tests/conftest.py).

A failing test shows the end of the llama.cpp server's log, which holds what the server made of each request.
"""

import subprocess
import tempfile
from pathlib import Path

import httpx
import pytest

from tests.api.live_server import _die_with_parent, free_port, stop_process
from tests.open_models import install
from tests.waiting import wait_until

# Small, so that filling it (the overflow test) takes a CPU seconds, not minutes.
N_CTX = 2048
# The name the server gives the model (`--model_alias`): handles read `llamacpp/gemma-3-270m`, not a file path.
MODEL_ALIAS = "gemma-3-270m"
START_TIMEOUT = 120  # seconds: loading the model is quick, but a loaded machine may be slow to start Python


class LlamaServer:
    def __init__(self, python: Path, model: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = Path(tempfile.mkstemp(prefix="llama-server-", suffix=".log")[1])
        argv = [
            str(python),
            "-m",
            "llama_cpp.server",
            "--model",
            str(model),
            "--model_alias",
            MODEL_ALIAS,
            "--n_ctx",
            str(N_CTX),
            # The GGUF carries no chat template, and the server's fallback (llama-2's [INST] format) makes this model
            # end every answer before its first token; Gemma's own turn format makes it write. It drops system
            # messages (Gemma has none), which keeps prompts short: the tests are about the wire, not the answers.
            "--chat_format",
            "gemma",
            # One thread: beside the other test legs on two cores, threads that wait for each other at every layer
            # (OpenMP) lose far more to the other processes than a second thread gains.
            "--n_threads",
            "1",
            "--n_threads_batch",
            "1",
            # The server's default computes logits for every prompt token (for logprobs, which nothing here asks for):
            # with Gemma's 262k-token vocabulary that doubles the time to read a prompt.
            "--logits_all",
            "false",
            "--seed",
            "7",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
        ]
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, preexec_fn=_die_with_parent
            )
        try:
            wait_until(
                self._up, message=f"llama-cpp-python's server to answer {self.url}/v1/models", timeout=START_TIMEOUT
            )
        except BaseException:
            self.close()
            raise

    def _up(self) -> bool:
        if self.process.poll() is not None:
            raise RuntimeError(f"llama-cpp-python's server exited (code {self.process.returncode}):\n{self.log_tail()}")
        try:
            return httpx.get(f"{self.url}/v1/models", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def log_tail(self, chars: int = 6000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:]

    def close(self) -> None:
        stop_process(self.process, timeout=10)


_server_key = pytest.StashKey[LlamaServer]()


@pytest.fixture(scope="session")
def llama_server(request) -> LlamaServer:
    """llama-cpp-python's OpenAI-compatible server with the small Gemma model, n_ctx N_CTX."""
    try:
        python, model = install.server_python(), install.model_path()
    except install.OpenModelInstallError as error:
        pytest.fail(f"The open-model server could not be installed: {error}", pytrace=False)
    server = LlamaServer(python, model)
    request.config.stash[_server_key] = server
    yield server
    server.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    server = item.config.stash.get(_server_key, None)
    if report.failed and server is not None and "llama_server" in getattr(item, "fixturenames", ()):
        report.sections.append(("llama-cpp-python server log (end)", server.log_tail()))
