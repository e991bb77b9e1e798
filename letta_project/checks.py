"""Checks `manage.py check --deploy` adds to Django's own."""

from django.conf import settings
from django.core import checks

from letta_project.encryption import LEGACY_SECRET_KEY


@checks.register(checks.Tags.security, deploy=True)
def secret_key_is_not_the_published_one(app_configs, **kwargs):
    # Django's own check (security.W009) finds this key long and varied enough; it is still public, in this
    # project's history, so anyone could sign a session with it.
    if settings.SECRET_KEY != LEGACY_SECRET_KEY:
        return []
    return [
        checks.Error(
            "DJANGO_SECRET_KEY is the fixed key this project used to fall back to, which is public.",
            hint="Set DJANGO_SECRET_KEY to a long random value of your own (not in DJANGO_SECRET_KEY_FALLBACKS: "
            "sessions signed with it would stay valid), then run `manage.py rotate_encryption_key`: secrets "
            "stored under the old key stay readable until it re-encrypts them.",
            id="letta.E001",
        )
    ]
