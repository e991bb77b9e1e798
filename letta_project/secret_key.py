"""Django's SECRET_KEY when the operator sets none: generated once per install, kept in the data directory.

The embedded default is meant to start with no settings at all, yet a key every install shares (as this project once
had) lets anyone forge a session. So the first start writes a random key to a file only its owner can read, and every
later start (and every other process on the same data directory) reads it back. Two processes starting at once
each write a file of their own and hard-link it into place; a link never replaces an existing file, so the first
one wins whole and the other reads the winner's key.
"""

import os
import secrets
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.core.management.utils import get_random_secret_key

FILE_NAME = "secret_key"


def stored_secret_key(data_dir: Path) -> str:
    """The key kept in `data_dir`, made first if there is none."""
    path = data_dir / FILE_NAME
    if not path.exists():
        _create(path)
    key = path.read_text().strip()
    if not key:
        raise ImproperlyConfigured(f"{path} is empty: delete it to have a new key made, or set DJANGO_SECRET_KEY.")
    return key


def _create(path: Path) -> None:
    draft = path.with_name(f".{FILE_NAME}.{os.getpid()}.{secrets.token_hex(4)}")
    descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w") as file:
            file.write(get_random_secret_key() + "\n")
            file.flush()
            os.fsync(file.fileno())
        os.link(draft, path)
    except FileExistsError:
        pass  # another process made it first; its key is the one
    finally:
        draft.unlink(missing_ok=True)


def missing_secret_key() -> ImproperlyConfigured:
    return ImproperlyConfigured(
        "DJANGO_SECRET_KEY is not set. A server with DATABASE_URL and DJANGO_DEBUG off needs a secret key of its own "
        "(the same in every process that shares the database): set DJANGO_SECRET_KEY to a long random value, e.g. "
        "the output of `python -c 'import secrets; print(secrets.token_urlsafe(50))'`."
    )
