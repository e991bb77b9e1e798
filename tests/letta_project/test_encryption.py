"""Secrets at rest: encrypted in the column, plain in Python, readable after a key rotation."""

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.core.exceptions import ImproperlyConfigured

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


def test_values_under_the_key_derived_from_secret_key_still_read_once_an_explicit_key_is_set(settings):
    settings.ENCRYPTION_KEYS = []
    stored = encryption.encrypt("value")
    settings.ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    assert encryption.decrypt(stored) == "value"


def test_values_under_a_replaced_secret_key_read_while_it_is_a_fallback(settings):
    settings.ENCRYPTION_KEYS, settings.SECRET_KEY = [], "the-old-secret-key-" * 3
    stored = encryption.encrypt("value")
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = "the-new-secret-key-" * 3, ["the-old-secret-key-" * 3]
    assert encryption.decrypt(stored) == "value"
    settings.SECRET_KEY_FALLBACKS = []
    with pytest.raises(encryption.DecryptionError):
        encryption.decrypt(stored)


def test_values_stored_under_the_old_fixed_secret_key_still_read(settings):
    """Installs that ran on the fixed SECRET_KEY, before one was generated per install, keep their secrets."""
    settings.ENCRYPTION_KEYS, settings.SECRET_KEY = [], encryption.LEGACY_SECRET_KEY
    stored = encryption.encrypt("value")
    settings.SECRET_KEY = "a-freshly-generated-secret-key-" * 2
    assert encryption.decrypt(stored) == "value"
    # ... but nothing new is encrypted under it.
    settings.SECRET_KEY = encryption.LEGACY_SECRET_KEY
    settings.ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    fresh = encryption.encrypt("value")
    legacy_only = Fernet(encryption.derived_key(encryption.LEGACY_SECRET_KEY).encode())
    with pytest.raises(InvalidToken):
        legacy_only.decrypt(fresh.removeprefix("enc1:").encode())


def test_a_malformed_key_names_the_setting(settings):
    settings.ENCRYPTION_KEYS = ["not-a-fernet-key"]
    with pytest.raises(ImproperlyConfigured, match="LETTA_ENCRYPTION_KEY"):
        encryption.encrypt("value")
