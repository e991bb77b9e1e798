"""DJANGO_SECRET_KEY: generated once per install on the embedded default, required with DATABASE_URL."""

import os
import stat
import subprocess
import sys
from pathlib import Path

from letta_project import secret_key

ROOT = Path(__file__).resolve().parents[2]
PRINT_KEY = "import django; django.setup(); from django.conf import settings; print(settings.SECRET_KEY)"
# What a test's own environment may carry that would change which key the server takes.
_CHOSEN = ("DJANGO_SECRET_KEY", "DJANGO_SECRET_KEY_FALLBACKS", "DATABASE_URL", "DJANGO_DEBUG", "LETTA_SQLITE_PATH")


def server_env(data_dir: Path, **settings: str) -> dict[str, str]:
    base = {name: value for name, value in os.environ.items() if name not in _CHOSEN}
    return {**base, "DJANGO_SETTINGS_MODULE": "letta_project.settings", "LETTA_DATA_DIR": str(data_dir), **settings}


def start(data_dir: Path, **settings: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", PRINT_KEY],
        cwd=ROOT,
        env=server_env(data_dir, **settings),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def key_of(process: subprocess.Popen) -> str:
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    return out.strip()


def test_the_embedded_default_generates_a_key_once_readable_by_its_owner_only(tmp_path):
    first = key_of(start(tmp_path))

    assert len(first) >= 50 and first != "insecure-dev-key-change-me-for-any-shared-deployment"
    stored = tmp_path / "secret_key"
    assert stored.read_text().strip() == first
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    assert key_of(start(tmp_path)) == first


def test_processes_starting_at_once_agree_on_one_key(tmp_path):
    processes = [start(tmp_path) for _ in range(4)]

    keys = {key_of(process) for process in processes}

    assert len(keys) == 1
    assert sorted(path.name for path in tmp_path.iterdir() if "secret" in path.name) == ["secret_key"]


def test_a_key_made_meanwhile_by_another_process_is_kept(tmp_path):
    (tmp_path / "secret_key").write_text("the-other-process-key\n")

    secret_key._create(tmp_path / "secret_key")

    assert secret_key.stored_secret_key(tmp_path) == "the-other-process-key"
    assert [path.name for path in tmp_path.iterdir()] == ["secret_key"]


def test_a_key_set_in_the_environment_is_used_and_none_is_written(tmp_path):
    assert key_of(start(tmp_path, DJANGO_SECRET_KEY="an-operators-own-key")) == "an-operators-own-key"
    assert not (tmp_path / "secret_key").exists()


def test_a_server_on_database_url_refuses_to_start_without_a_key(tmp_path):
    refused = start(tmp_path, DATABASE_URL="postgresql://letta@db.example/letta")
    _, err = refused.communicate(timeout=60)

    assert refused.returncode != 0
    assert "ImproperlyConfigured" in err and "DJANGO_SECRET_KEY is not set" in err
    assert not (tmp_path / "secret_key").exists()


def test_with_debug_on_a_server_on_database_url_starts_on_a_generated_key(tmp_path):
    key = key_of(start(tmp_path, DATABASE_URL="postgresql://letta@db.example/letta", DJANGO_DEBUG="1"))
    assert key == (tmp_path / "secret_key").read_text().strip()
