"""The installer of the clients: an unreachable registry fails with a message saying so, and leaves nothing that
would pass for an install next time."""

import pytest

from tests.clients import install


def test_an_unreachable_registry_fails_clearly_and_leaves_no_install(tmp_path, monkeypatch):
    monkeypatch.setenv("LETTA_CLIENTS_CACHE", str(tmp_path))
    monkeypatch.setenv("npm_config_registry", "http://127.0.0.1:9/")
    monkeypatch.setenv("npm_config_fetch_retries", "0")

    with pytest.raises(install.ClientInstallError, match="Downloading Letta Code .* from npm.*registry reachable"):
        install.letta_code()

    assert not (tmp_path / f"letta-code-{install.LETTA_CODE_VERSION}").exists()
