"""Actions on API keys: create (the only moment the key exists in the clear), revoke, authenticate."""

import hmac
from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from accounts import keys
from accounts.errors import DomainError, NotFoundError
from accounts.models import APIKey, Organization

# `last_used_at` is for people ("used 3 minutes ago"), so minute accuracy is enough; refreshing it on every
# request would turn each read-only API call into a write that queues on SQLite's single writer lock.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class OrganizationNotFoundError(NotFoundError, LookupError):
    def __init__(self, organization_id: str):
        super().__init__(f"Organization {organization_id!r} does not exist.")
        self.organization_id = organization_id


class APIKeyNotFoundError(NotFoundError, LookupError):
    # A key of another organization is "not found" too: its existence is not theirs to learn.

    def __init__(self, key_id: str):
        super().__init__(f"API key {key_id!r} not found.")
        self.key_id = key_id


class APIKeyNameError(DomainError, ValueError):
    pass


def create_api_key(*, organization_id: str, name: str) -> tuple[APIKey, str]:
    """Create a key and return it with the plain key, which is not stored and cannot be shown again."""
    name = (name or "").strip()
    if not name:
        raise APIKeyNameError("An API key needs a name, e.g. the app or person that will use it.")
    max_length = APIKey._meta.get_field("name").max_length
    if len(name) > max_length:
        raise APIKeyNameError(f"An API key name has at most {max_length} characters; this one has {len(name)}.")
    if not Organization.objects.filter(pk=organization_id).exists():
        raise OrganizationNotFoundError(organization_id)
    raw = keys.generate_key()
    api_key = APIKey.objects.create(
        organization_id=organization_id, name=name, prefix=keys.visible_prefix(raw), key_hash=keys.hash_key(raw)
    )
    return api_key, raw


def revoke_api_key(key_id: str, *, organization_id: str) -> APIKey:
    """Revoke a key for good. Revoking twice keeps the first revocation time."""
    try:
        api_key = APIKey.objects.for_organization(organization_id).get(pk=key_id)
    except APIKey.DoesNotExist:
        raise APIKeyNotFoundError(key_id) from None
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        api_key.save(update_fields=["revoked_at"])
    return api_key


def authenticate_key(raw: str) -> APIKey | None:
    """The active key matching `raw`, or None.

    The lookup compares hashes, not keys, so its timing can only tell an attacker how much of SHA-256(guess)
    matches a stored hash, which gives nothing towards a key (they cannot steer a hash's leading bytes).
    `compare_digest` on the row found keeps the final check constant-time regardless of the database.
    """
    if not raw or len(raw) > keys.MAX_KEY_LENGTH:
        return None
    digest = keys.hash_key(raw)
    api_key = APIKey.objects.active().filter(key_hash=digest).first()
    if api_key is None or not hmac.compare_digest(api_key.key_hash, digest):
        return None
    _touch(api_key)
    return api_key


def _touch(api_key: APIKey) -> None:
    now = timezone.now()
    stale = now - LAST_USED_RESOLUTION
    if api_key.last_used_at is not None and api_key.last_used_at > stale:
        return
    # Conditional, so a burst of concurrent first requests still writes once.
    APIKey.objects.filter(pk=api_key.pk).filter(Q(last_used_at__isnull=True) | Q(last_used_at__lte=stale)).update(
        last_used_at=now
    )
    api_key.last_used_at = now
