"""The installer of the open-model server: a machine that cannot build it is told what is missing, before anything
is downloaded, and is left with nothing that would pass for an install next time."""

import pytest

from tests.open_models import install


def test_no_cxx_compiler_fails_clearly_and_leaves_no_install(tmp_path, monkeypatch):
    monkeypatch.setenv("LETTA_OPEN_MODELS_CACHE", str(tmp_path))
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))

    with pytest.raises(install.OpenModelInstallError, match="needs a C\\+\\+ compiler.*apt-get install g\\+\\+"):
        install.server_python()

    assert not (tmp_path / f"llama-cpp-python-{install.LLAMA_CPP_PYTHON_VERSION}").exists()
