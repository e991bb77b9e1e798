"""`/v1/providers`: an organization adds its own LLM provider, and its agents run on it."""

import json
import socket

import pytest

from accounts.models import Provider
from tests.fakes import Reply

pytestmark = pytest.mark.django_db(transaction=True)


def post(client, path, body):
    return client.post(path, data=json.dumps(body), content_type="application/json")


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def byok(api, providers, fake_openai):
    response = post(
        api,
        "/v1/providers/",
        {
            "name": "byok",
            "provider_type": "openai_compatible",
            "api_key": "sk-secret",
            "base_url": fake_openai.base_url,
        },
    )
    assert response.status_code == 200, response.content
    return response.json()


def test_create_never_returns_the_key(api, byok):
    assert byok["id"].startswith("provider-") and byok["name"] == "byok"
    assert byok["api_key"] is None and byok["has_api_key"] is True
    assert "sk-secret" not in json.dumps(api.get(f"/v1/providers/{byok['id']}").json())
    assert "sk-secret" not in json.dumps(api.get("/v1/providers/").json())
    assert Provider.objects.get(pk=byok["id"]).api_key == "sk-secret"


def test_an_agent_on_an_api_provider_runs_against_it(api, byok, fake_openai):
    agent = post(api, "/v1/agents/", {"name": "byok-agent", "model": "byok/gpt-4.1-mini"}).json()
    fake_openai.script(Reply(text="Hello from your own provider."))
    response = post(api, f"/v1/agents/{agent['id']}/messages", {"input": "hi"})
    assert response.status_code == 200, response.content
    assert response.json()["messages"][-1]["content"] == "Hello from your own provider."
    assert fake_openai.last_request["model"] == "gpt-4.1-mini"


def test_models_list_includes_the_providers_models_for_its_organization_only(api, other_api, byok):
    handles = {m["handle"] for m in api.get("/v1/models/").json()}
    assert {"byok/gpt-4.1-mini", "openai/gpt-4.1-mini"} <= handles
    byok_model = next(m for m in api.get("/v1/models/").json() if m["handle"] == "byok/gpt-4.1-mini")
    assert byok_model["provider_name"] == "byok" and byok_model["provider_type"] == "openai"
    assert not any(m["handle"].startswith("byok/") for m in other_api.get("/v1/models/").json())


def test_another_organization_cannot_use_the_provider(other_api, byok, fake_openai):
    agent = post(other_api, "/v1/agents/", {"name": "thief", "model": "byok/gpt-4.1-mini"}).json()
    response = post(other_api, f"/v1/agents/{agent['id']}/messages", {"input": "hi"})
    assert response.status_code == 400 and "No provider named 'byok'" in response.json()["detail"]
    assert fake_openai.requests == []


def test_a_provider_that_is_down_leaves_the_others_listed(api, providers):
    post(
        api,
        "/v1/providers/",
        {"name": "gone", "provider_type": "openai_compatible", "base_url": f"http://127.0.0.1:{closed_port()}/v1"},
    )
    response = api.get("/v1/models/")
    assert response.status_code == 200
    names = {m["provider_name"] for m in response.json()}
    assert "openai" in names and "gone" not in names


def test_modify_changes_the_key_and_address_but_not_the_name(api, byok, fake_anthropic):
    response = api.patch(
        f"/v1/providers/{byok['id']}",
        data=json.dumps({"api_key": "", "base_url": "http://1.2.3.4/v1"}),
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json()["has_api_key"] is False and response.json()["base_url"] == "http://1.2.3.4/v1"
    assert response.json()["name"] == "byok"


def test_delete_removes_the_provider(api, byok):
    assert api.delete(f"/v1/providers/{byok['id']}").status_code == 200
    assert api.get(f"/v1/providers/{byok['id']}").status_code == 404
    assert not Provider.objects.exists()


def test_list_pages_and_filters(api, providers):
    for index in range(3):
        post(api, "/v1/providers/", {"name": f"p{index}", "provider_type": "ollama"})
    post(api, "/v1/providers/", {"name": "claude", "provider_type": "anthropic", "api_key": "k"})
    first = api.get("/v1/providers/?limit=2&order=asc").json()
    rest = api.get(f"/v1/providers/?limit=2&order=asc&after={first[-1]['id']}").json()
    assert [p["name"] for p in first + rest] == ["p0", "p1", "p2", "claude"]
    assert api.get(f"/v1/providers/?limit=2&order=asc&after={rest[-1]['id']}").json() == []
    assert [p["name"] for p in api.get("/v1/providers/?provider_type=anthropic").json()] == ["claude"]
    assert [p["name"] for p in api.get("/v1/providers/?name=p1").json()] == ["p1"]
    assert api.get("/v1/providers/?name=p1").json()[0]["base_url"] == "http://127.0.0.1:11434/v1"


# ---------------------------------------------------------------------------------------------- errors


def test_a_name_the_environment_uses_is_refused(api, providers):
    response = post(api, "/v1/providers/", {"name": "openai", "provider_type": "openai", "api_key": "k"})
    assert response.status_code == 409 and "environment" in response.json()["detail"]
    assert not Provider.objects.exists()


def test_a_duplicate_name_is_refused_and_the_first_kept(api, byok):
    response = post(api, "/v1/providers/", {"name": "byok", "provider_type": "ollama"})
    assert response.status_code == 409 and "already exists" in response.json()["detail"]
    assert Provider.objects.get().provider_type == "openai_compatible"


def test_the_same_name_in_another_organization_is_fine(other_api, byok, fake_openai):
    response = post(
        other_api,
        "/v1/providers/",
        {"name": "byok", "provider_type": "openai_compatible", "base_url": fake_openai.base_url},
    )
    assert response.status_code == 200


@pytest.mark.parametrize(
    "body, words",
    [
        ({"name": "x", "provider_type": "carrier-pigeon"}, "not supported"),
        ({"name": "x", "provider_type": "bedrock"}, "not supported"),
        ({"name": "x", "provider_type": "openai_compatible"}, "needs a base_url"),
        ({"name": "x", "provider_type": "vllm", "base_url": "localhost:8000"}, "must start with http"),
        ({"name": "a/b", "provider_type": "ollama"}, "without '/'"),
    ],
)
def test_bad_providers_are_refused(api, providers, body, words):
    response = post(api, "/v1/providers/", body)
    assert response.status_code == 400 and words in response.json()["detail"], response.json()
    assert not Provider.objects.exists()


def test_a_foreign_provider_is_not_found(other_api, byok):
    for method, body in (("get", None), ("patch", {"api_key": "stolen"}), ("delete", None)):
        kwargs = {"data": json.dumps(body), "content_type": "application/json"} if body else {}
        response = getattr(other_api, method)(f"/v1/providers/{byok['id']}", **kwargs)
        assert response.status_code == 404 and "not found" in response.json()["detail"]
    assert post(other_api, f"/v1/providers/{byok['id']}/check", {}).status_code == 404
    assert other_api.get("/v1/providers/").json() == []
    assert Provider.objects.get().api_key == "sk-secret"


# ----------------------------------------------------------------------------------------------- check


def test_check_lists_the_models_with_the_given_credentials(api, byok, fake_openai):
    response = post(
        api,
        "/v1/providers/check",
        {"provider_type": "openai_compatible", "api_key": "k", "base_url": fake_openai.base_url},
    )
    assert response.status_code == 200 and "Valid api key" in response.json()["message"]
    assert post(api, f"/v1/providers/{byok['id']}/check", {}).status_code == 200


def test_check_of_an_unreachable_provider_says_so(api, providers, settings):
    settings.LLM_MAX_RETRIES = 0
    response = post(
        api, "/v1/providers/check", {"provider_type": "ollama", "base_url": f"http://127.0.0.1:{closed_port()}/v1"}
    )
    assert response.status_code == 502 and response.json()["detail"]


# ----------------------------------------------------------------------------------------- embeddings


def test_embedding_models_of_the_providers_are_listed(api, byok, fake_openai):
    fake_openai.models = ["gpt-4.1-mini", "text-embedding-3-small"]
    models = api.get("/v1/models/embedding").json()
    assert {m["handle"] for m in models} == {"openai/text-embedding-3-small", "byok/text-embedding-3-small"}
    small = next(m for m in models if m["handle"] == "openai/text-embedding-3-small")
    assert small["embedding_dim"] == 1536 and small["embedding_endpoint_type"] == "openai"
    assert small["provider_type"] == "openai" and small["embedding_model"] == "text-embedding-3-small"
    assert "openai/text-embedding-3-small" not in {m["handle"] for m in api.get("/v1/models/").json()}


# ------------------------------------------------------------------------------- one resolution per handle


def test_the_context_of_an_agent_on_an_api_anthropic_provider_is_anthropics_request(api, providers, fake_anthropic):
    from agents.context_window import context_overview
    from agents.models import Agent

    claude = {"name": "claude", "provider_type": "anthropic", "api_key": "k", "base_url": fake_anthropic.base_url}
    assert post(api, "/v1/providers/", claude).status_code == 200
    agent = post(api, "/v1/agents/", {"name": "poet", "model": "claude/claude-sonnet-4-5"}).json()

    raw = api.get(f"/v1/agents/{agent['id']}/context").json()["raw_request"]
    # Anthropic's Messages body: the system prompt and max_tokens at the top, no system message among the messages.
    assert "<memory_blocks>" in raw["system"] and raw["max_tokens"] > 0
    assert all(m["role"] != "system" for m in raw["messages"])

    # and it is the body the provider then receives
    preview = context_overview(Agent.objects.get(pk=agent["id"]), "Who am I?")["raw_request"]
    fake_anthropic.script(Reply(text="Someone new."))
    assert post(api, f"/v1/agents/{agent['id']}/messages", {"input": "Who am I?"}).status_code == 200
    assert preview == fake_anthropic.last_request


def test_an_environment_ollama_model_has_one_endpoint_type_everywhere(api, providers, settings, fake_openai):
    # What settings.py builds from OLLAMA_BASE_URL.
    settings.LLM_PROVIDERS = {
        **providers,
        "ollama": {"kind": "openai_compatible", "api_key": None, "base_url": fake_openai.base_url},
    }
    fake_openai.models = ["qwen2.5:7b", "nomic-embed-text"]
    body = {"name": "local", "model": "ollama/qwen2.5:7b", "embedding": "ollama/nomic-embed-text"}
    agent = post(api, "/v1/agents/", body).json()
    listed = next(m for m in api.get("/v1/models/").json() if m["handle"] == "ollama/qwen2.5:7b")
    embedder = next(m for m in api.get("/v1/models/embedding").json() if m["handle"] == "ollama/nomic-embed-text")

    assert agent["llm_config"]["model_endpoint_type"] == listed["model_endpoint_type"] == "ollama"
    assert listed["provider_type"] == "ollama"
    assert agent["llm_config"]["model_endpoint"] == listed["model_endpoint"] == fake_openai.base_url
    assert agent["embedding_config"]["embedding_endpoint_type"] == embedder["embedding_endpoint_type"] == "ollama"
    assert agent["embedding_config"]["embedding_endpoint"] == embedder["embedding_endpoint"] == fake_openai.base_url
