"""Limits on what comes in, against the live server (daphne): a body over its cap is answered with a JSON 413 naming
the limit whether it announces its length or is sent chunked, before any view runs (so before the key is even
checked); JSON nested 10,000 deep is a 400; an agent file over its cap is a 413 too. The same rules through
Django's test client are in tests/letta_project/test_limits.py."""

import json

import httpx
import pytest

from accounts import services as accounts
from accounts.models import Organization
from memory.models import Block

pytestmark = pytest.mark.django_db(transaction=True)

LIMIT_MESSAGE = "The request body is larger than the 2.5 MB limit (LETTA_MAX_REQUEST_BYTES)."
BIG = json.dumps({"label": "notes", "value": "x" * (3 * 1024 * 1024)}).encode()


@pytest.fixture
def key(letta_server):
    _, key = accounts.create_api_key(organization_id=Organization.default().id, name="limits")
    return key


def post(server, path, content, key=None, **headers):
    if key:
        headers["Authorization"] = f"Bearer {key}"
    headers.setdefault("Content-Type", "application/json")
    return httpx.post(server.url + path, content=content, headers=headers, timeout=60)


def chunked(data: bytes, size: int = 64 * 1024):
    # A generator body: httpx sends it with Transfer-Encoding: chunked and no Content-Length.
    for start in range(0, len(data), size):
        yield data[start : start + size]


@pytest.mark.parametrize("path", ["/v1/blocks/", "/v1/agents/agent-00000000-0000-0000-0000-000000000000/messages"])
@pytest.mark.parametrize("how", ["content-length", "chunked"])
def test_a_body_over_the_limit_is_a_json_413_on_the_live_server(letta_server, key, path, how):
    response = post(letta_server, path, BIG if how == "content-length" else chunked(BIG), key)

    assert response.status_code == 413
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"detail": LIMIT_MESSAGE}
    assert not Block.objects.filter(label="notes").exists()


def test_a_chunked_body_within_the_limit_reaches_the_route(letta_server, key):
    body = json.dumps({"label": "notes", "value": "x" * 90_000}).encode()
    response = post(letta_server, "/v1/blocks/", chunked(body, 16 * 1024), key)
    assert response.status_code == 200, response.text
    assert len(Block.objects.get(label="notes").value) == 90_000


def test_json_nested_ten_thousand_deep_is_a_400_on_the_live_server(letta_server, key):
    deep = ("[" * 10_000 + "]" * 10_000).encode()
    for path in ("/v1/blocks/", "/v1/agents/agent-00000000-0000-0000-0000-000000000000/messages"):
        response = post(letta_server, path, deep, key)
        assert response.status_code == 400 and "nested too deeply" in response.json()["detail"]


@pytest.mark.parametrize("how", ["content-length", "chunked"])
def test_an_agent_file_over_its_cap_is_a_413_naming_the_setting(letta_server, key, how):
    boundary = "limits-boundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.af"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    body = head + b'{"agents": [], "pad": "' + b"x" * (25 * 1024 * 1024) + b'"}\r\n' + f"--{boundary}--\r\n".encode()
    content_type = f"multipart/form-data; boundary={boundary}"
    content = body if how == "content-length" else chunked(body, 1024 * 1024)

    response = post(letta_server, "/v1/agents/import", content, key, **{"Content-Type": content_type})

    assert response.status_code == 413
    assert response.json()["detail"].startswith(
        "The agent file is larger than the 20 MB limit (LETTA_MAX_AGENT_FILE_BYTES)."
    )
