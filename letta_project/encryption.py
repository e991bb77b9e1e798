"""Secrets at rest: values a user hands us to pass on (agents' secrets, MCP servers' headers and tokens) are stored
encrypted, so a copy of the database alone does not give them away.

Fernet (from `cryptography`): authenticated, versioned tokens. `LETTA_ENCRYPTION_KEY` holds one or more keys,
comma-separated; the first encrypts and every one decrypts, so rotating is putting a new key first and re-saving.
With none set, one key is derived from SECRET_KEY, which keeps the embedded default a one-command start.
"""

import base64
import functools
import hashlib
import json

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import models

_PREFIX = "enc1:"
# What a stored secret is shown as in every response; a client sending it back means "keep the stored value".
SECRET_MASK = "********"


class DecryptionError(Exception):
    """A stored value cannot be read with the configured keys (a key was removed or SECRET_KEY changed)."""


@functools.cache
def _cipher_for(keys: tuple[str, ...], secret_key: str) -> MultiFernet:
    if not keys:
        derived = hashlib.sha256(b"letta-encryption-at-rest:" + secret_key.encode()).digest()
        keys = (base64.urlsafe_b64encode(derived).decode(),)
    return MultiFernet([Fernet(key.encode()) for key in keys])


def _cipher() -> MultiFernet:
    return _cipher_for(tuple(settings.ENCRYPTION_KEYS), settings.SECRET_KEY)


def encrypt(text: str) -> str:
    return _PREFIX + _cipher().encrypt(text.encode()).decode()


def decrypt(stored: str) -> str:
    """The plain text of a value `encrypt` made; a value stored before encryption was turned on is returned as is."""
    if not stored.startswith(_PREFIX):
        return stored
    try:
        return _cipher().decrypt(stored[len(_PREFIX) :].encode()).decode()
    except InvalidToken as exc:
        raise DecryptionError(
            "A stored secret cannot be decrypted with the configured LETTA_ENCRYPTION_KEY (or SECRET_KEY)."
        ) from exc


def masked(values: dict) -> dict[str, str]:
    """Secrets as responses show them: every name, no value."""
    return {key: SECRET_MASK for key in values}


def unmasked(given: dict, stored: dict) -> dict:
    """`given` with each masked value replaced by the stored one (empty when there is none); other values as sent."""
    return {str(key): stored.get(key, "") if value == SECRET_MASK else value for key, value in given.items()}


def reencrypt(stored: str) -> str:
    """The value encrypted under the first key (for rotation)."""
    return encrypt(decrypt(stored))


class EncryptedTextField(models.TextField):
    """A text value that is plain in Python and encrypted in its column."""

    def from_db_value(self, value, expression, connection):
        return None if value is None else decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return None if value is None else encrypt(value)


class EncryptedJSONField(models.TextField):
    """A JSON value (dict, list, ...) that is plain in Python and encrypted, as one token, in a text column."""

    def from_db_value(self, value, expression, connection):
        return None if value is None else json.loads(decrypt(value))

    def to_python(self, value):
        if isinstance(value, str):
            try:
                return json.loads(decrypt(value))
            except ValueError:
                return value
        return value

    def get_prep_value(self, value):
        return None if value is None else encrypt(json.dumps(value))

    def value_to_string(self, obj):
        return json.dumps(self.value_from_object(obj))
