"""The API-key authentication class, driven through a throwaway DRF view routed by this module."""

import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.urls import path
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import services
from accounts.api import organization_of
from accounts.authentication import INVALID_KEY_MESSAGE, MISSING_KEY_MESSAGE, APIKeyUser


class WhoAmI(APIView):
    def get(self, request):
        return Response(
            {
                "organization_id": organization_of(request),
                "api_key_id": request.user.api_key_id,
                "auth": request.auth.id,
            }
        )


class OpenWhoAmI(WhoAmI):
    permission_classes = [AllowAny]


urlpatterns = [path("whoami/", WhoAmI.as_view()), path("open/whoami/", OpenWhoAmI.as_view())]

urls = pytest.mark.urls(__name__)


def bearer(raw):
    return {"Authorization": f"Bearer {raw}"}


@urls
def test_no_key_is_401_with_a_bearer_challenge_and_says_what_to_send(client, db):
    response = client.get("/whoami/")

    assert response.status_code == 401
    assert response.json() == {"detail": MISSING_KEY_MESSAGE}
    assert response["WWW-Authenticate"] == "Bearer"


@urls
@pytest.mark.parametrize(
    "headers",
    [
        {"Authorization": "Bearer sk-let-not-a-real-key"},
        {"Authorization": "Bearer "},
        {"Authorization": "bearer sk-let-not-a-real-key"},
        {"X-API-Key": "sk-let-not-a-real-key"},
    ],
)
def test_a_wrong_key_is_401_and_says_how_to_get_one(client, make_key, headers):
    make_key()

    response = client.get("/whoami/", headers=headers)

    assert response.status_code == 401
    assert response.json() == {"detail": INVALID_KEY_MESSAGE}
    assert response["WWW-Authenticate"] == "Bearer"


@urls
def test_a_revoked_key_is_401(client, make_key, org):
    api_key, raw = make_key()
    services.revoke_api_key(api_key.id, organization_id=org.id)

    response = client.get("/whoami/", headers=bearer(raw))

    assert response.status_code == 401 and response.json() == {"detail": INVALID_KEY_MESSAGE}


@urls
def test_a_good_key_acts_for_its_organization(client, make_key, other_org):
    api_key, raw = make_key(organization=other_org)

    response = client.get("/whoami/", headers=bearer(raw))

    assert response.status_code == 200
    assert response.json() == {"organization_id": other_org.id, "api_key_id": api_key.id, "auth": api_key.id}


@urls
def test_the_key_can_come_in_x_api_key(client, make_key, org):
    _, raw = make_key()

    response = client.get("/whoami/", headers={"X-API-Key": raw})

    assert response.status_code == 200 and response.json()["organization_id"] == org.id


@urls
def test_a_non_bearer_authorization_counts_as_no_key(client, db):
    response = client.get("/whoami/", headers={"Authorization": "Basic dXNlcjpwYXNz"})

    assert response.status_code == 401 and response.json() == {"detail": MISSING_KEY_MESSAGE}


@urls
def test_organization_of_refuses_an_anonymous_request(client, db):
    response = client.get("/open/whoami/")

    assert response.status_code == 401 and response.json() == {"detail": MISSING_KEY_MESSAGE}


def test_the_key_user_is_authenticated_without_a_database_row():
    user = APIKeyUser(organization_id="org-1", api_key_id="apikey-1")
    assert user.is_authenticated and not user.is_anonymous and user.pk == user.id == "apikey-1"


def test_the_plain_health_view_needs_no_key(client, db):
    response = client.get("/v1/health/")
    assert response.status_code == 200 and response.json()["status"] == "ok"


@pytest.fixture
def sdk():
    """The official client calling the app in-process over WSGI, as it would a server."""
    import httpx
    from django.core.handlers.wsgi import WSGIHandler
    from letta_client import Letta

    # Like Django's test client: keep the test's connection (and its transaction) open between requests.
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    try:
        yield lambda api_key: Letta(
            base_url="http://testserver",
            api_key=api_key,
            max_retries=0,
            http_client=httpx.Client(transport=httpx.WSGITransport(app=WSGIHandler())),
        )
    finally:
        for signal in (request_started, request_finished):
            signal.connect(close_old_connections)


@urls
def test_the_letta_sdk_authenticates_with_its_bearer_token(sdk, make_key, org):
    from letta_client import AuthenticationError

    _, raw = make_key()
    assert sdk(raw).get("/whoami/", cast_to=object)["organization_id"] == org.id
    with pytest.raises(AuthenticationError, match="Invalid API key"):
        sdk("sk-let-wrong").get("/whoami/", cast_to=object)
