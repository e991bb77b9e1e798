"""Short-lived API keys for tool code: how a custom tool acts on its own agent through the API.

A tool call gets a fresh key of its agent's organization, tied to the run it belongs to, that expires on its own
a little after the tool's timeout and is deleted when the call ends: never the operator's or a person's key, and
useless once the call is over. People's key lists never show these keys.
"""

import time
from datetime import timedelta

from django.utils import timezone

from accounts import keys
from accounts.models import APIKey

_PURGE_EVERY_SECONDS = 60
_last_purge = 0.0


def issue_tool_key(
    *, organization_id: str, run_id: str | None, tool_name: str, ttl_seconds: float
) -> tuple[APIKey, str]:
    global _last_purge
    if time.monotonic() - _last_purge > _PURGE_EVERY_SECONDS:
        _last_purge = time.monotonic()
        purge_expired_tool_keys()
    raw = keys.generate_key()
    api_key = APIKey.objects.create(
        organization_id=organization_id,
        name=f"tool {tool_name}"[:200],
        prefix=keys.visible_prefix(raw),
        key_hash=keys.hash_key(raw),
        expires_at=timezone.now() + timedelta(seconds=ttl_seconds),
        run_id=run_id or "",
    )
    return api_key, raw


def end_tool_key(api_key: APIKey) -> None:
    APIKey.objects.filter(pk=api_key.pk).delete()


def purge_expired_tool_keys() -> int:
    """Keys of calls whose end was never recorded (a killed server): gone once expired."""
    deleted, _ = APIKey.objects.filter(run_id__isnull=False, expires_at__lte=timezone.now()).delete()
    return deleted
