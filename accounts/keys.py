"""The shape of an API key: how one is made, fingerprinted for storage, and abbreviated for display.

Pure functions, no database: the services store what these return, the authentication class hashes
what a client sends and looks the hash up.
"""

import hashlib
import secrets

KEY_PREFIX = "sk-let-"
# Shown in key lists so a person can tell keys apart; 5 random characters past "sk-let-" cost nothing of
# the key's 256 bits that matters, and are as much as GitHub or OpenAI show.
VISIBLE_CHARS = 12
# A client can send any header; hashing megabytes to refuse them is wasted work. Real keys are 50 chars.
MAX_KEY_LENGTH = 200


def generate_key() -> str:
    """A new key: the prefix (so leaked keys are recognisable to secret scanners) and 256 random bits."""
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_key(raw: str) -> str:
    """The stored fingerprint of a key: hex SHA-256. See `APIKey` for why a fast hash is the right one."""
    return hashlib.sha256(raw.encode()).hexdigest()


def visible_prefix(raw: str) -> str:
    return raw[:VISIBLE_CHARS]
