"""Secrets at rest: values a user hands us to pass on (agents' secrets, MCP servers' headers and tokens) and URLs
that often carry a secret in their path or query (MCP servers', providers' base and callback URLs) are stored
encrypted, so a copy of the database alone does not give them away.

Fernet (from `cryptography`): authenticated, versioned tokens. `LETTA_ENCRYPTION_KEY` holds one or more keys,
comma-separated; the first encrypts and every one decrypts, so rotating is putting a new key first and running
`manage.py rotate_encryption_key`. With none set, a key derived from SECRET_KEY encrypts, which keeps the embedded
default a one-command start.

Keys derived from SECRET_KEY, from each of SECRET_KEY_FALLBACKS and from the fixed SECRET_KEY every install had
before it was generated per install (LEGACY_SECRET_KEY) always decrypt, after the configured keys: so moving from
the derived key to an explicit one, or to a new SECRET_KEY, is the same rotation, and secrets an install stored
under the old fixed key stay readable until the rotation re-encrypts them. Only the first key ever encrypts, so
the legacy key, which anyone can read in this file's history, protects nothing new.
"""

import base64
import functools
import hashlib
import json

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models

_PREFIX = "enc1:"
# What a stored secret is shown as in every response; a client sending it back means "keep the stored value".
SECRET_MASK = "********"
# The SECRET_KEY settings.py fell back to before a key was generated per install (letta_project/secret_key.py).
LEGACY_SECRET_KEY = "insecure-dev-key-change-me-for-any-shared-deployment"


class DecryptionError(Exception):
    """A stored value cannot be read with the configured keys (a key was removed or SECRET_KEY changed)."""


def derived_key(secret_key: str) -> str:
    """The Fernet key made from a Django SECRET_KEY."""
    digest = hashlib.sha256(b"letta-encryption-at-rest:" + secret_key.encode()).digest()
    return base64.urlsafe_b64encode(digest).decode()


def _fernet(key: str) -> Fernet:
    try:
        return Fernet(key.encode())
    except ValueError:
        raise ImproperlyConfigured(
            "Each key in LETTA_ENCRYPTION_KEY must be a Fernet key (32 url-safe base64-encoded bytes); "
            "make one with `python manage.py rotate_encryption_key --generate`."
        ) from None


@functools.cache
def _cipher_for(keys: tuple[str, ...], secret_keys: tuple[str, ...]) -> MultiFernet:
    derived = [derived_key(secret) for secret in (*secret_keys, LEGACY_SECRET_KEY)]
    # dict.fromkeys: in order, without repeats (a configured key may equal a derived one).
    return MultiFernet([_fernet(key) for key in dict.fromkeys([*keys, *derived])])


def _cipher() -> MultiFernet:
    secret_keys = (settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", ()))
    return _cipher_for(tuple(settings.ENCRYPTION_KEYS), secret_keys)


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


def generate_key() -> str:
    """A new random key for LETTA_ENCRYPTION_KEY."""
    return Fernet.generate_key().decode()


class EncryptedField:
    """What every encrypted field is: the rotation command finds the columns to re-encrypt by this class."""


class EncryptedTextField(EncryptedField, models.TextField):
    """A text value that is plain in Python and encrypted in its column."""

    def from_db_value(self, value, expression, connection):
        return None if value is None else decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return None if value is None else encrypt(value)


class EncryptedJSONField(EncryptedField, models.TextField):
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


def encrypting(app_label: str, model_name: str, field_name: str):
    """The migration step for a column that has just become encrypted (after its AlterField): each stored value is
    saved again, which the field now writes encrypted (it reads a plain value as it is). Backwards, values go back
    to plain text, written past the field, which would encrypt them again."""
    from django.db import migrations  # for migrations only; the fields above are imported by every model module

    def encrypt(apps, schema_editor):
        model = apps.get_model(app_label, model_name)
        rows = model.objects.using(schema_editor.connection.alias).exclude(**{f"{field_name}__isnull": True})
        for pk, value in list(rows.values_list("pk", field_name)):
            rows.filter(pk=pk).update(**{field_name: value})

    def decrypt(apps, schema_editor):
        model = apps.get_model(app_label, model_name)
        field = model._meta.get_field(field_name)
        quote = schema_editor.connection.ops.quote_name
        table, column, key = quote(model._meta.db_table), quote(field.column), quote(model._meta.pk.column)
        rows = model.objects.using(schema_editor.connection.alias).exclude(**{f"{field_name}__isnull": True})
        values = list(rows.values_list("pk", field_name))
        with schema_editor.connection.cursor() as cursor:
            for pk, value in values:
                plain = json.dumps(value) if isinstance(field, EncryptedJSONField) else value
                cursor.execute(f"UPDATE {table} SET {column} = %s WHERE {key} = %s", [plain, pk])

    return migrations.RunPython(encrypt, decrypt)
