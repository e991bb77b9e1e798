"""Who a websocket connection acts for: an API key in its `Authorization` header, or the signed-in ADE session.

A browser sends its session cookie with any websocket it opens, even one a foreign page opens, so a session only
counts when the handshake's `Origin` is this server itself (the cross-site websocket hijacking rule). A key is
never sent by the browser on its own, so a key needs no such check.

A credential can end while its socket is open (sign-out, expiry, deactivation, revocation): `credential_status`
re-checks it the way a new request would, for accounts/socket_watch.py.
"""

from dataclasses import dataclass
from datetime import datetime
from importlib import import_module
from types import SimpleNamespace
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import get_user

from accounts.access import organization_id_for
from accounts.models import APIKey
from accounts.services import authenticate_key


@dataclass(frozen=True)
class SocketCredential:
    """What a socket was admitted with: a key (`api_key_id`) or a person's session (`user_id`, `session_key`)."""

    organization_id: str
    api_key_id: str | None = None
    user_id: int | None = None
    session_key: str | None = None


def _header(scope, name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return value.decode("latin-1")
    return ""


def _same_origin(scope) -> bool:
    origin, host = _header(scope, b"origin"), _header(scope, b"host")
    return bool(origin and host) and urlsplit(origin).netloc == host


def credential_of_socket(scope) -> SocketCredential | None:
    """The credential the connection acts with, or None when it has no valid one."""
    scheme, _, token = _header(scope, b"authorization").partition(" ")
    if scheme.lower() == "bearer" and token:
        api_key = authenticate_key(token.strip())
        return SocketCredential(api_key.organization_id, api_key_id=api_key.id) if api_key else None
    user = scope.get("user")
    if user is not None and user.is_authenticated and _same_origin(scope):
        organization_id = organization_id_for(user)
        if organization_id is None:
            return None
        return SocketCredential(organization_id, user_id=user.pk, session_key=scope["session"].session_key)
    return None


def organization_of_socket(scope) -> str | None:
    """The organization the connection acts for, or None when it has no valid credential."""
    credential = credential_of_socket(scope)
    return credential.organization_id if credential else None


def credential_status(credential: SocketCredential) -> tuple[bool, datetime | None]:
    """Whether the credential still holds, and when it will end on its own (a session's expiry; None if unknown).

    A session is checked as a page request checks it (Django's `get_user`): gone after sign-out or expiry, and
    its person deactivated, deleted, or with a changed password, all end it."""
    if credential.api_key_id is not None:
        return APIKey.objects.active().filter(pk=credential.api_key_id).exists(), None
    store = import_module(settings.SESSION_ENGINE).SessionStore(session_key=credential.session_key)
    user = get_user(SimpleNamespace(session=store))
    if not user.is_authenticated or user.pk != credential.user_id:
        return False, None
    return True, _session_expiry(store)


def _session_expiry(store) -> datetime | None:
    # Only database-backed sessions (the default) keep their expiry where it can be read; others are re-checked.
    model = getattr(store, "get_model_class", None)
    if model is None:
        return None
    return model().objects.filter(session_key=store.session_key).values_list("expire_date", flat=True).first()
