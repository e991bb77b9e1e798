"""The plain async views (agents/api/async_views.api_view) answer method, key and body errors exactly as the DRF
views do. Checked on one of them, `POST /v1/tools/run`; every async view shares the decorator."""

import pytest
from django.test import Client

from accounts.authentication import INVALID_KEY_MESSAGE, MISSING_KEY_MESSAGE

URL = "/v1/tools/run"


def test_another_method_is_405(api):
    response = api.get(URL)

    assert response.status_code == 405 and response.json() == {"detail": 'Method "GET" not allowed.'}


@pytest.mark.parametrize(
    ("headers", "message"),
    [({}, MISSING_KEY_MESSAGE), ({"Authorization": "Bearer sk-let-not-a-real-key"}, INVALID_KEY_MESSAGE)],
)
def test_no_key_or_a_bad_one_is_401_with_a_bearer_challenge(db, headers, message):
    response = Client(headers=headers).post(URL, {"source_code": "x"}, content_type="application/json")

    assert response.status_code == 401
    assert response.json() == {"detail": message}
    assert response["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ("{not json", "Invalid request: The request body is not valid JSON."),
        ("[1, 2]", "Invalid request: The request body must be a JSON object."),
        ('{"source_code": "\\u0000"}', "Invalid request: The request body cannot be stored: `source_code` contains"),
    ],
)
def test_a_body_that_is_not_a_storable_json_object_is_422(api, body, words):
    response = api.post(URL, body, content_type="application/json")

    assert response.status_code == 422 and response.json()["detail"].startswith(words)


def test_a_field_error_is_422_shaped_like_the_drf_views(api):
    response = api.post(URL, {}, content_type="application/json")

    assert response.status_code == 422
    assert response.json() == {
        "detail": "Invalid request: source_code: This field is required.",
        "errors": {"source_code": ["This field is required."]},
    }


def test_a_domain_error_raised_by_the_view_answers_its_status(api):
    response = api.post(URL, {"source_code": "def f(x):\n    return x\n"}, content_type="application/json")

    assert response.status_code == 400
    assert response.json()["detail"].startswith("Parameter 'x' of tool 'f' (line 1) needs a type annotation")
