"""Who a websocket connection acts for: an API key in its `Authorization` header, or the signed-in ADE session.

A browser sends its session cookie with any websocket it opens, even one a foreign page opens, so a session only
counts when the handshake's `Origin` is this server itself (the cross-site websocket hijacking rule). A key is
never sent by the browser on its own, so a key needs no such check.
"""

from urllib.parse import urlsplit

from accounts.access import organization_id_for
from accounts.services import authenticate_key


def _header(scope, name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return value.decode("latin-1")
    return ""


def _same_origin(scope) -> bool:
    origin, host = _header(scope, b"origin"), _header(scope, b"host")
    return bool(origin and host) and urlsplit(origin).netloc == host


def organization_of_socket(scope) -> str | None:
    """The organization the connection acts for, or None when it has no valid credential."""
    scheme, _, token = _header(scope, b"authorization").partition(" ")
    if scheme.lower() == "bearer" and token:
        api_key = authenticate_key(token.strip())
        return api_key.organization_id if api_key else None
    user = scope.get("user")
    if user is not None and user.is_authenticated and _same_origin(scope):
        return organization_id_for(user)
    return None
