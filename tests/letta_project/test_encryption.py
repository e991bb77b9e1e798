"""Secrets at rest: encrypted in the column, plain in Python, readable after a key rotation."""

import pytest
from cryptography.fernet import Fernet

from letta_project import encryption


def test_a_value_round_trips_and_is_not_stored_in_plain_text():
    stored = encryption.encrypt("sk-very-secret")
    assert "sk-very-secret" not in stored
    assert encryption.decrypt(stored) == "sk-very-secret"


def test_values_stored_before_encryption_read_as_they_are():
    assert encryption.decrypt("plain-old-value") == "plain-old-value"


def test_a_new_key_put_first_still_reads_old_values(settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.ENCRYPTION_KEYS = [old]
    stored = encryption.encrypt("value")
    settings.ENCRYPTION_KEYS = [new, old]
    assert encryption.decrypt(stored) == "value"
    rotated = encryption.reencrypt(stored)
    settings.ENCRYPTION_KEYS = [new]
    assert encryption.decrypt(rotated) == "value"


def test_a_removed_key_gives_a_clear_error(settings):
    settings.ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    stored = encryption.encrypt("value")
    settings.ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(encryption.DecryptionError, match="LETTA_ENCRYPTION_KEY"):
        encryption.decrypt(stored)
