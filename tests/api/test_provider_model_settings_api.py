"""`/v1/providers` with the fields beyond Letta's shape: a provider's context window and its per-model windows and
aliases; the models it serves listed under readable handles; agents on those handles send the server's own id."""

import json

import pytest

from accounts.models import Provider
from agents import providers as model_providers
from tests.fakes import Reply

pytestmark = pytest.mark.django_db(transaction=True)

GGUF = "/models/gemma-3-270m-it-Q4_K_M.gguf"


def send(client, method, path, body):
    return getattr(client, method)(path, data=json.dumps(body), content_type="application/json")


@pytest.fixture(autouse=True)
def _fresh_servers():
    model_providers.forget_served_windows()
    yield
    model_providers.forget_served_windows()


@pytest.fixture
def local(api, providers, fake_openai):
    fake_openai.models = [GGUF, "gpt-4.1-mini"]
    body = {"name": "local", "provider_type": "openai_compatible", "base_url": fake_openai.base_url}
    response = send(api, "post", "/v1/providers/", {**body, "context_window": 16384})
    assert response.status_code == 200, response.content
    return response.json()


def test_the_settings_are_stored_and_returned(api, local):
    assert local["context_window"] == 16384 and local["model_settings"] == {}
    response = send(
        api,
        "patch",
        f"/v1/providers/{local['id']}",
        {"model_settings": {GGUF: {"context_window": 8192, "alias": "gemma"}}},
    )
    assert response.status_code == 200, response.content
    assert response.json()["model_settings"] == {GGUF: {"context_window": 8192, "alias": "gemma"}}
    assert api.get(f"/v1/providers/{local['id']}").json()["context_window"] == 16384  # untouched by the patch
    cleared = send(api, "patch", f"/v1/providers/{local['id']}", {"context_window": None}).json()
    assert cleared["context_window"] is None and cleared["model_settings"][GGUF]["alias"] == "gemma"


@pytest.mark.parametrize(
    "body, status, words",
    [
        ({"context_window": 0}, 400, "from 1 to"),
        ({"context_window": 10**9}, 400, "LETTA_DEFAULT_CONTEXT_WINDOW"),
        ({"model_settings": {GGUF: {"alias": "models/gemma"}}}, 400, "without '/'"),
        ({"model_settings": {GGUF: {"alias": "g"}, "gpt-4.1-mini": {"alias": "g"}}}, 400, "given to both"),
        ({"model_settings": {GGUF: {"context_window": "big"}}}, 400, GGUF),
        ({"model_settings": "gemma"}, 400, "must be an object"),
    ],
    ids=["zero", "over-cap", "slash", "clash", "text", "not-object"],
)
def test_bad_settings_are_refused_and_nothing_is_stored(api, local, body, status, words):
    response = send(api, "patch", f"/v1/providers/{local['id']}", {"api_key": "sk-new", **body})
    assert response.status_code == status and words in response.json()["detail"], response.content
    stored = Provider.objects.get(pk=local["id"])
    assert (stored.api_key, stored.context_window, stored.model_settings) == ("", 16384, {})


def test_a_bad_setting_on_create_creates_nothing(api, providers, fake_openai):
    body = {"name": "x", "provider_type": "openai_compatible", "base_url": fake_openai.base_url, "context_window": -1}
    response = send(api, "post", "/v1/providers/", body)
    assert response.status_code == 400 and "context_window" in response.json()["detail"]
    assert not Provider.objects.filter(name="x").exists()


def test_models_are_listed_by_readable_handles_and_agents_on_them_run(api, local, fake_openai):
    listed = {m["handle"]: m for m in api.get("/v1/models/").json()}
    gemma = listed["local/gemma-3-270m-it-Q4_K_M"]
    assert (gemma["name"], gemma["model"], gemma["context_window"]) == (GGUF, GGUF, 16384)
    assert gemma["context_window_is_guess"] is False and gemma["context_window_source"] == "provider_default"

    agent = send(api, "post", "/v1/agents/", {"name": "g", "model": "local/gemma-3-270m-it-Q4_K_M"}).json()
    assert agent["llm_config"]["handle"] == "local/gemma-3-270m-it-Q4_K_M"
    fake_openai.script(Reply(text="Hello."))
    response = send(api, "post", f"/v1/agents/{agent['id']}/messages", {"input": "hi"})
    assert response.status_code == 200, response.content
    assert fake_openai.last_request["model"] == GGUF
    assert fake_openai.last_request["max_tokens"] == 4096  # LETTA_DEFAULT_MAX_TOKENS, within half of 16384


def test_the_sdk_sets_them_with_extra_body(client, fake_openai):
    # letta-client 1.12 has no providers resource: its own transport posts Letta's ProviderCreate fields, and the
    # two it does not know travel as extra_body, as they would with a generated `providers.create`.
    from letta_client._base_client import make_request_options

    fake_openai.models = [GGUF]
    base_url = fake_openai.base_url.replace("127.0.0.1", "localhost")  # the live server may reach localhost
    extra = {"context_window": 16384, "model_settings": {GGUF: {"context_window": 8192, "alias": "gemma"}}}
    provider = client.post(
        "/v1/providers/",
        cast_to=object,
        body={"name": "sdk-local", "provider_type": "openai_compatible", "base_url": base_url},
        options=make_request_options(extra_body=extra),
    )
    assert (provider["context_window"], provider["model_settings"]) == (16384, extra["model_settings"])

    models = {m.handle: m for m in client.models.list() if m.provider_name == "sdk-local"}
    assert list(models) == ["sdk-local/gemma"]
    assert (models["sdk-local/gemma"].name, models["sdk-local/gemma"].max_context_window) == (GGUF, 8192)

    agent = client.agents.create(name="sdk-gemma", model="sdk-local/gemma")
    assert agent.llm_config.context_window == 8192
    fake_openai.script(Reply(text="Hi from gemma."))
    response = client.agents.messages.create(agent.id, messages=[{"role": "user", "content": "hi"}])
    assert response.messages[-1].content == "Hi from gemma."
    assert fake_openai.last_request["model"] == GGUF
