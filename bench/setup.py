"""Shared set-up for benchmarks: Django on a throwaway SQLite database, fake providers on loopback."""

import os
import tempfile


def django_on_scratch_db() -> str:
    """Configure Django on a fresh database in a temporary directory and migrate it."""
    data_dir = tempfile.mkdtemp(prefix="letta-bench-")
    os.environ["LETTA_DATA_DIR"] = data_dir
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "letta_project.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return data_dir


def fake_openai_provider(responder):
    """The fake OpenAI server answering with `responder`, set as the server's only provider (Django set up)."""
    from django.conf import settings

    from tests.fakes import start_fake_openai

    fake = start_fake_openai()
    fake.responder = responder
    settings.LLM_PROVIDERS = {"openai": {"kind": "openai", "api_key": "x", "base_url": fake.base_url}}
    return fake


def median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2
