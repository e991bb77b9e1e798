"""A provider created through the API is an address the server connects to for its user: its base URL passes the
outbound policy when stored, checked, listed and used by a run, and what it answers is reported in our words.
Providers the environment configures are the operator's and are never checked."""

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from accounts.models import Provider
from agents.provider_services import create_provider
from letta_project import outbound
from tests.fakes import Reply

pytestmark = pytest.mark.django_db(transaction=True)

SECRET = "internal-secret-7f3a"  # in what an upstream answers; must never reach the caller


def post(client, path, body):
    return client.post(path, data=json.dumps(body), content_type="application/json")


class Upstream:
    """A server on 127.0.0.1 that answers every GET with `status` and `body` (JSON), as any HTTP service might,
    and a Location header when given one."""

    def __init__(self, status: int, body: object, location: str | None = None):
        payload = json.dumps(body).encode()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                if location:
                    self.send_header("Location", location)
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.server.server_port}/v1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def upstream():
    servers = []

    def start(status: int, body: object, location: str | None = None) -> Upstream:
        servers.append(Upstream(status, body, location))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


@pytest.fixture
def stored(org, providers, fake_openai, settings):
    """A provider stored while the operator allowed 127.0.0.1, which the operator then stops allowing."""
    provider = create_provider(
        organization_id=org.id, name="byok", provider_type="openai_compatible", base_url=fake_openai.base_url
    )
    settings.OUTBOUND_ALLOW = []
    return provider


# ------------------------------------------------------------------------------------------- create and change


@pytest.mark.parametrize(
    "base_url",
    [
        "http://127.0.0.1:{port}/v1",
        "http://localhost:{port}/v1",
        "http://user@127.0.0.1:{port}/v1",
        "http://169.254.169.254/latest",
        "http://10.1.2.3/v1",
        "http://[::1]:{port}/v1",
    ],
)
def test_a_base_url_on_the_servers_own_network_is_refused_and_nothing_stored(
    api, providers, settings, fake_openai, base_url
):
    settings.OUTBOUND_ALLOW = []
    port = fake_openai.base_url.rsplit(":", 1)[1].split("/")[0]
    body = {"name": "sneaky", "provider_type": "openai_compatible", "base_url": base_url.format(port=port)}
    response = post(api, "/v1/providers/", body)
    assert response.status_code == 400, response.content
    assert "base_url" in response.json()["detail"] and "LETTA_OUTBOUND_ALLOW" in response.json()["detail"]
    assert not Provider.objects.exists()


def test_a_local_servers_default_address_is_under_the_policy_too(api, providers, settings):
    settings.OUTBOUND_ALLOW = []
    response = post(api, "/v1/providers/", {"name": "box", "provider_type": "ollama"})  # 127.0.0.1:11434
    assert response.status_code == 400 and "LETTA_OUTBOUND_ALLOW" in response.json()["detail"]
    assert not Provider.objects.exists()


def test_changing_the_address_to_a_refused_one_changes_nothing(api, stored):
    response = api.patch(
        f"/v1/providers/{stored.id}",
        data=json.dumps({"api_key": "new", "base_url": "http://127.0.0.1:9/v1"}),
        content_type="application/json",
    )
    assert response.status_code == 400 and "LETTA_OUTBOUND_ALLOW" in response.json()["detail"]
    stored.refresh_from_db()
    assert stored.base_url.startswith("http://127.0.0.1:") and stored.base_url != "http://127.0.0.1:9/v1"
    assert stored.api_key == ""


def test_the_operator_allowing_the_address_lets_it_be_stored(api, providers, settings, fake_openai):
    settings.OUTBOUND_ALLOW = ["127.0.0.1"]
    body = {"name": "local", "provider_type": "openai_compatible", "base_url": fake_openai.base_url}
    assert post(api, "/v1/providers/", body).status_code == 200


# ---------------------------------------------------------------------------------------------------- check


def test_check_of_a_refused_address_asks_nothing(api, providers, settings, fake_openai):
    settings.OUTBOUND_ALLOW = []
    body = {"provider_type": "openai_compatible", "base_url": fake_openai.base_url}
    response = post(api, "/v1/providers/check", body)
    assert response.status_code == 400 and "LETTA_OUTBOUND_ALLOW" in response.json()["detail"]


def test_check_of_a_stored_provider_is_refused_once_the_operator_stops_allowing_it(api, stored):
    response = post(api, f"/v1/providers/{stored.id}/check", {})
    assert response.status_code == 400 and "LETTA_OUTBOUND_ALLOW" in response.json()["detail"]


@pytest.mark.parametrize(
    "status, words",
    [
        (401, "The provider refused the API key (HTTP 401)."),
        (403, "The provider refused the API key (HTTP 403)."),
        (500, "The provider answered HTTP 500."),
        (418, "The provider answered HTTP 418."),
        (404, "The provider has no model list there (HTTP 404)"),
    ],
)
def test_check_says_what_the_provider_answered_in_our_words(api, providers, settings, upstream, status, words):
    settings.LLM_MAX_RETRIES = 0
    server = upstream(status, {"error": {"message": f"{SECRET} at /srv/app.py line 3", "type": "x"}})
    response = post(api, "/v1/providers/check", {"provider_type": "openai_compatible", "base_url": server.base_url})
    assert response.status_code >= 400
    assert response.json()["detail"].startswith(words), response.json()
    assert SECRET not in response.content.decode()


def test_check_of_an_unreachable_provider_names_the_host_only(api, providers, settings):
    settings.LLM_MAX_RETRIES = 0
    response = post(
        api, "/v1/providers/check", {"provider_type": "openai_compatible", "base_url": "http://127.0.0.1:9/v1"}
    )
    assert response.status_code == 502
    assert response.json()["detail"] == "Could not connect to 127.0.0.1."


def test_check_of_a_server_that_is_not_a_model_api_shows_none_of_it(api, providers, settings, upstream):
    settings.LLM_MAX_RETRIES = 0
    server = upstream(200, {"internal": SECRET, "users": [{"name": "root"}]})
    response = post(api, "/v1/providers/check", {"provider_type": "openai_compatible", "base_url": server.base_url})
    assert SECRET not in response.content.decode() and "root" not in response.content.decode()


# --------------------------------------------------------------------------------------------------- models


def test_models_leave_out_a_provider_the_policy_refuses_but_keep_the_environments(api, stored):
    handles = {m["handle"] for m in api.get("/v1/models/").json()}
    assert "openai/gpt-4.1-mini" in handles  # the environment's provider, on loopback too: trusted
    assert not any(h.startswith("byok/") for h in handles)


def test_models_show_only_model_entries_of_what_a_provider_lists(api, providers, upstream):
    server = upstream(
        200,
        {
            "object": "list",
            "data": [
                {"id": "good-model", "object": "model"},
                {"id": {"internal": SECRET}, "object": "model"},
                {"id": ["root", SECRET], "object": "model"},
            ],
        },
    )
    created = post(
        api, "/v1/providers/", {"name": "odd", "provider_type": "openai_compatible", "base_url": server.base_url}
    )
    assert created.status_code == 200
    response = api.get("/v1/models/")
    assert response.status_code == 200
    assert [m["handle"] for m in response.json() if m["provider_name"] == "odd"] == ["odd/good-model"]
    assert SECRET not in response.content.decode()
    assert SECRET not in api.get("/v1/models/embedding").content.decode()


# ------------------------------------------------------------------------------------------------------ run


def test_a_run_on_a_refused_provider_is_a_clear_error_and_asks_nothing(api, stored, fake_openai):
    agent = post(api, "/v1/agents/", {"name": "a", "model": "openai/gpt-4.1-mini"}).json()
    fake_openai.script(Reply(text="never"))
    response = post(api, f"/v1/agents/{agent['id']}/messages", {"input": "hi", "override_model": "byok/gpt-4.1-mini"})
    assert response.status_code == 400, response.content
    detail = response.json()["detail"]
    assert "Provider 'byok' cannot be used" in detail and "LETTA_OUTBOUND_ALLOW" in detail
    assert fake_openai.requests == []


def test_an_agent_on_a_refused_provider_does_not_run(api, org, providers, settings, fake_openai):
    create_provider(
        organization_id=org.id, name="byok", provider_type="openai_compatible", base_url=fake_openai.base_url
    )
    agent = post(api, "/v1/agents/", {"name": "a", "model": "byok/gpt-4.1-mini"}).json()
    settings.OUTBOUND_ALLOW = []
    response = post(api, f"/v1/agents/{agent['id']}/messages", {"input": "hi"})
    assert response.status_code == 400 and "LETTA_OUTBOUND_ALLOW" in response.json()["detail"]
    assert fake_openai.requests == []
    settings.OUTBOUND_ALLOW = ["127.0.0.1"]
    fake_openai.script(Reply(text="Allowed again."))
    response = post(api, f"/v1/agents/{agent['id']}/messages", {"input": "hi"})
    assert response.status_code == 200 and response.json()["messages"][-1]["content"] == "Allowed again."


def test_a_providers_redirect_is_not_followed(api, providers, settings, upstream, fake_openai):
    """The base URL passed the policy, but where it redirects to did not: the redirect is an error, not followed
    (here to the fake OpenAI, standing in for a metadata address)."""
    settings.LLM_MAX_RETRIES = 0
    fake_openai.models = ["behind-the-redirect"]
    server = upstream(307, {}, location=f"{fake_openai.base_url}/models")
    body = {"name": "moved", "provider_type": "openai_compatible", "base_url": server.base_url}
    assert post(api, "/v1/providers/", body).status_code == 200
    handles = {m["handle"] for m in api.get("/v1/models/").json()}
    assert "openai/behind-the-redirect" in handles  # the environment's provider is the operator's
    assert not any(h.startswith("moved/") for h in handles)
    check = post(api, "/v1/providers/check", {"provider_type": "openai_compatible", "base_url": server.base_url})
    assert check.json()["detail"] == "The provider answered HTTP 307."


def test_a_run_reaches_the_provider_at_the_address_the_policy_checked(
    api, org, providers, settings, fake_openai, monkeypatch
):
    # Only the policy's lookup knows this name: a second lookup to connect (where DNS rebinding would strike) fails.
    real = outbound._resolve
    monkeypatch.setattr(
        outbound, "_resolve", lambda host, port: ["127.0.0.1"] if host == "byok.invalid" else real(host, port)
    )
    settings.OUTBOUND_ALLOW = ["byok.invalid"]
    base_url = fake_openai.base_url.replace("127.0.0.1", "byok.invalid")
    create_provider(organization_id=org.id, name="byok", provider_type="openai_compatible", base_url=base_url)
    agent = post(api, "/v1/agents/", {"name": "a", "model": "byok/gpt-4.1-mini"}).json()
    fake_openai.script(Reply(text="Reached by its checked address."))

    response = post(api, f"/v1/agents/{agent['id']}/messages", {"input": "hi"})

    assert response.status_code == 200, response.content
    assert response.json()["messages"][-1]["content"] == "Reached by its checked address."
