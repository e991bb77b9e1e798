"""A provider's base URL is stored encrypted (a gateway may take a key in its path or query): the column holds a
token, while the API answers the URL as given and the provider's client is built with it."""

from functools import partial

import pytest

from accounts.models import Provider
from agents.providers import resolve
from tests.at_rest import stored
from tests.fakes import Reply

SECRET = "gw-secret-4821"
BEFORE = ("accounts", "0007_provider_model_settings")
ENCRYPTED = ("accounts", "0008_provider_base_url_encrypted")


stored_url = partial(stored, Provider, "base_url")


def create(api, name: str, base_url: str) -> dict:
    body = {"name": name, "provider_type": "openai_compatible", "base_url": base_url}
    created = api.post("/v1/providers/", body, content_type="application/json")
    assert created.status_code == 200, created.content
    return created.json()


@pytest.mark.django_db
def test_the_base_url_is_stored_encrypted_and_answered_as_given(api, org, providers):
    base_url = f"http://127.0.0.1:9/gateway/{SECRET}/v1"

    provider = create(api, "gateway", base_url)

    assert stored_url(provider["id"]).startswith("enc1:") and SECRET not in stored_url(provider["id"])
    assert provider["base_url"] == base_url
    assert api.get(f"/v1/providers/{provider['id']}").json()["base_url"] == base_url
    assert [p["base_url"] for p in api.get("/v1/providers/").json()] == [base_url]
    assert resolve("gateway/some-model", org.id).provider.base_url == base_url


@pytest.mark.django_db
def test_an_agent_on_the_provider_reaches_its_url(api, make_agent, fake_openai):
    provider = create(api, "local", fake_openai.base_url)
    assert stored_url(provider["id"]).startswith("enc1:")
    agent = make_agent(model="local/gpt-4.1-mini")
    fake_openai.script(Reply(text="Hello from the gateway."))

    sent = api.post(f"/v1/agents/{agent.id}/messages", {"input": "hi"}, content_type="application/json")

    assert sent.status_code == 200, sent.content
    assert "Hello from the gateway." in sent.content.decode()


def test_the_migration_encrypts_urls_stored_in_plain_text_and_its_reverse_restores_them(org, migrated_to):
    plain = f"https://gateway.example.com/{SECRET}/v1"
    old = migrated_to(BEFORE).get_model("accounts", "Provider")
    provider = old.objects.create(
        organization_id=org.id,
        name="gateway",
        provider_type="openai_compatible",
        kind="openai_compatible",
        base_url=plain,
    )

    migrated_to(ENCRYPTED)

    assert stored_url(provider.pk).startswith("enc1:") and SECRET not in stored_url(provider.pk)
    assert Provider.objects.get(pk=provider.pk).base_url == plain

    migrated_to(BEFORE)

    assert stored_url(provider.pk) == plain
