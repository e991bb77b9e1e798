"""Errors a client can meet answer JSON in the reference's shape, never an HTML page or a bare 500."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from accounts import services as accounts
from accounts.api_errors import UNKNOWN_ERROR_MESSAGE


@pytest.fixture
def unguarded(org):
    """A client that receives the 500 response instead of the test client re-raising the exception."""
    _, key = accounts.create_api_key(organization_id=org.id, name="test")
    return Client(headers={"Authorization": f"Bearer {key}"}, raise_request_exception=False)


def test_an_unhandled_error_in_an_async_view_is_a_json_500(unguarded, monkeypatch):
    async def broken():
        raise RuntimeError("provider registry exploded")

    monkeypatch.setattr("agents.api.model_views.list_models", broken)
    response = unguarded.get("/v1/models/")
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": UNKNOWN_ERROR_MESSAGE}


def test_an_unhandled_error_in_a_drf_view_is_a_json_500(unguarded, make_agent, monkeypatch):
    agent = make_agent()
    monkeypatch.setattr("agents.api.context_views.context_overview", lambda agent: 1 / 0)
    response = unguarded.get(f"/v1/agents/{agent.id}/context")
    assert response.status_code == 500 and response.json() == {"detail": UNKNOWN_ERROR_MESSAGE}


def test_pages_outside_the_api_keep_django_s_error_page(db, monkeypatch):
    from agents import views

    monkeypatch.setattr(views, "redirect", lambda *args, **kwargs: 1 / 0)
    response = Client(raise_request_exception=False).get("/")
    assert response.status_code == 500 and not response["Content-Type"].startswith("application/json")


def test_an_unknown_archival_cursor_is_a_404_naming_it(api, make_agent):
    # Found by the schemathesis test: it answered 500.
    agent = make_agent()
    api.post(f"/v1/agents/{agent.id}/archival-memory", {"text": "Ada likes tea."}, content_type="application/json")
    response = api.get(f"/v1/agents/{agent.id}/archival-memory", {"after": "passage-nope"})
    assert response.status_code == 404 and "passage-nope" in response.json()["detail"]
    assert len(api.get(f"/v1/agents/{agent.id}/archival-memory").json()) == 1


@pytest.mark.parametrize(
    "method, path, body",
    [
        ("post", "/v1/blocks/", {"label": "notes", "value": "facts"}),
        ("patch", "/v1/blocks/{block}", {}),
        ("patch", "/v1/agents/{agent}/core-memory/blocks/human", {}),
        ("post", "/v1/agents/", {"model": "openai/gpt-4.1-mini", "memory_blocks": [{"label": "human", "value": ""}]}),
    ],
)
def test_a_block_limit_too_large_to_store_is_a_422(api, make_agent, method, path, body):
    # Found by the schemathesis test: a limit past the database's integer range answered 500.
    agent = make_agent()
    block = api.post("/v1/blocks/", {"label": "notes", "value": "facts"}, content_type="application/json").json()
    huge = 2215554123469891305472
    if "memory_blocks" in body:
        body["memory_blocks"][0]["limit"] = huge
    else:
        body["limit"] = huge
    response = getattr(api, method)(
        path.format(block=block["id"], agent=agent.id), body, content_type="application/json"
    )
    assert response.status_code == 422 and "limit" in response.json()["detail"]


@pytest.mark.parametrize("method, path", [("post", "/v1/agents/"), ("patch", "/v1/agents/{agent}")])
def test_a_context_window_limit_too_large_to_store_is_a_422(api, make_agent, method, path):
    agent = make_agent()
    body = {"model": "openai/gpt-4.1-mini", "context_window_limit": 2215554123469891305472}
    response = getattr(api, method)(path.format(agent=agent.id), body, content_type="application/json")
    assert response.status_code == 422 and "context_window_limit" in response.json()["detail"]


# Found by the schemathesis test on PostgreSQL, which refuses NUL in text; no database stores a lone surrogate.
UNSTORABLE = [
    '{"label": "notes", "value": "a\\u0000b", "limit": 100}',
    '{"label": "notes", "value": "\\ud83f alone", "limit": 100}',
    '{"label": "notes", "value": "fine", "metadata": {"k\\u0000": 1}}',
]


@pytest.mark.parametrize("body", UNSTORABLE)
def test_text_no_database_can_store_is_refused_saying_where(api, body):
    response = api.post("/v1/blocks/", body, content_type="application/json")
    assert response.status_code == 422
    assert "cannot be stored" in response.json()["detail"]
    assert api.get("/v1/blocks/", {"label": "notes"}).json() == []


def test_a_send_with_unstorable_text_is_refused_and_stores_nothing(api, make_agent):
    agent = make_agent()
    before = api.get(f"/v1/agents/{agent.id}/messages").json()
    response = api.post(f"/v1/agents/{agent.id}/messages", '{"input": "hi\\u0000"}', content_type="application/json")
    assert response.status_code == 422 and "`input` contains a NUL character" in response.json()["detail"]
    assert api.get(f"/v1/agents/{agent.id}/messages").json() == before


def test_a_query_parameter_with_a_nul_is_refused(api):
    response = api.get("/v1/tools/", {"name": "ping\x00"})
    assert response.status_code == 422 and "'name'" in response.json()["detail"]


def test_an_agent_file_with_unstorable_text_is_refused(api, db):
    body = '{"agents": [], "blocks": [{"id": "block-0", "label": "human", "value": "x\\u0000"}]}'
    response = api.post("/v1/agents/import", {"file": SimpleUploadedFile("agent.af", body.encode())})
    assert response.status_code in (400, 422) and "cannot be stored" in response.json()["detail"]
    assert api.get("/v1/agents/").json() == []


@pytest.fixture
def csrf_enforced(org):
    """A client like Letta Code: an API key, no CSRF cookie, and Django's CSRF checks on (the test client skips
    them by default, which is how the HTML 403 on unserved writes went unseen)."""
    _, key = accounts.create_api_key(organization_id=org.id, name="cli")
    return Client(headers={"Authorization": f"Bearer {key}"}, enforce_csrf_checks=True)


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/v1/folders/", 501),
        ("/v1/identities/identity-1", 501),
        ("/v1/agents/agent-1/files", 501),
        ("/v1/templates/t/agents", 501),
        ("/v1/no-such-family/x", 404),
        ("/v1/agents/agent-1/no-such-thing", 404),
    ],
)
def test_writes_to_unserved_routes_answer_json_even_with_csrf_checks(csrf_enforced, method, path, status):
    response = getattr(csrf_enforced, method)(path, data={"x": 1}, content_type="application/json")
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    assert response.json()["detail"]
