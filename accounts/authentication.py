"""REST API authentication by API key: `Authorization: Bearer <key>` (what letta-client sends) or `X-API-Key`."""

from dataclasses import dataclass

from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed

from accounts.models import APIKey
from accounts.services import authenticate_key

INVALID_KEY_MESSAGE = "Invalid API key. Create one in the ADE or with `python manage.py create_api_key --name NAME`."
# DRF raises NotAuthenticated itself (from the permission check); the exception handler puts this text in it.
MISSING_KEY_MESSAGE = "Authentication required: send Authorization: Bearer <API key>."


@dataclass(frozen=True)
class APIKeyUser:
    """Who a request acts as: an organization, through one key. Not a database user, so there is no user table
    to keep in step with keys; it carries what views and permission checks ask of `request.user`."""

    organization_id: str
    api_key_id: str

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False

    @property
    def pk(self) -> str:
        # DRF's user-based throttles and Django's logging key on `user.pk`.
        return self.api_key_id

    id = pk

    def __str__(self):
        return f"API key {self.api_key_id}"


def raw_key_from_headers(headers) -> str | None:
    """The key a request carries, from `request.headers` (case-insensitive); None when it carries none.

    Shared with plain Django views (SSE streams) that authenticate outside DRF. A `Bearer` header with nothing
    after it counts as a key, an empty and so invalid one: the client meant to authenticate.
    """
    authorization = headers.get("Authorization", "")
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() == "bearer":
        return token.strip()
    api_key = headers.get("X-API-Key")
    return api_key.strip() if api_key is not None else None


class APIKeyAuthentication(BaseAuthentication):
    def authenticate(self, request) -> tuple[APIKeyUser, APIKey] | None:
        raw = raw_key_from_headers(request.headers)
        if raw is None:
            # Not an error here: the view's permission decides whether anonymous access is fine (health).
            return None
        api_key = authenticate_key(raw)
        if api_key is None:
            raise AuthenticationFailed(INVALID_KEY_MESSAGE)
        return APIKeyUser(organization_id=api_key.organization_id, api_key_id=api_key.id), api_key

    def authenticate_header(self, request) -> str:
        # Having a challenge is what makes DRF answer 401 instead of 403 to unauthenticated requests.
        return "Bearer"
