"""The providers page: the organization's providers and the environment's, add, check, delete, see the models."""

import html as html_module
import re
import socket

import pytest

from accounts.models import Organization, Provider
from agents.provider_services import create_provider

pytestmark = pytest.mark.django_db(transaction=True)  # the checks call the fake servers from another thread


def field_error(html: str, field: str) -> str:
    match = re.search(rf'<ul class="errorlist" id="id_{field}_error">(.*?)</ul>', html, re.S)
    assert match, f"no error next to {field}"
    return html_module.unescape(re.sub(r"<[^>]+>", "", match.group(1))).strip()


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def new_provider(fake_openai, **fields) -> dict:
    return {
        "provider_type": "openai_compatible",
        "name": "local",
        "base_url": fake_openai.base_url,
        "api_key": "sk-local-secret",
        **fields,
    }


@pytest.fixture
def local(org, fake_openai):
    return create_provider(
        organization_id=org.id,
        name="local",
        provider_type="openai_compatible",
        base_url=fake_openai.base_url,
        api_key="sk-local-secret",
    )


def test_the_page_lists_the_environments_providers_read_only(signed_in):
    html = signed_in.get("/ade/providers/").content.decode()
    assert "Configured by the server's environment" in html
    assert html.count("environment · read-only") == 2  # openai and anthropic
    assert "sk-test" not in html and "sk-ant-test" not in html


def test_adding_a_provider_stores_it_and_never_shows_its_key(signed_in, org, fake_openai):
    response = signed_in.post("/ade/providers/add/", new_provider(fake_openai))
    assert response.status_code == 302
    provider = Provider.objects.get(organization=org, name="local")
    assert provider.api_key == "sk-local-secret" and provider.kind == "openai_compatible"
    html = signed_in.get("/ade/providers/").content.decode()
    assert "<strong>local</strong>" in html and "sk-local-secret" not in html
    assert '<span class="badge ok">set</span>' in html


def test_its_models_appear_in_the_pickers_at_once(signed_in, fake_openai):
    assert "local/gpt-4.1-mini" not in signed_in.get("/ade/new/").content.decode()  # the pickers' list is cached
    signed_in.post("/ade/providers/add/", new_provider(fake_openai))
    assert '<option value="local/gpt-4.1-mini"' in signed_in.get("/ade/new/").content.decode()
    models = signed_in.get("/ade/providers/local/models/").content.decode()
    assert "local/gpt-4.1-mini" in models and "local/gpt-4o" in models


def test_with_htmx_adding_answers_the_section_with_a_confirmation(signed_in, fake_openai):
    response = signed_in.post("/ade/providers/add/", new_provider(fake_openai), headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 200 and html.lstrip().startswith('<div id="providers">')
    assert "Provider “local” added." in html


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        pytest.param({"name": ""}, "name", "This field is required.", id="no-name"),
        pytest.param({"name": "a/b"}, "name", "Provider name 'a/b' is not usable", id="slash-in-name"),
        pytest.param({"name": "openai"}, "name", "already configured by the server's environment", id="env-name"),
        pytest.param({"base_url": ""}, "base_url", "needs a base_url", id="no-base-url"),
        pytest.param({"base_url": "ftp://x"}, "base_url", "must start with http:// or https://", id="bad-base-url"),
        pytest.param({"provider_type": "gemini"}, "provider_type", "Select a valid choice", id="unknown-kind"),
    ],
)
def test_bad_input_is_shown_next_to_its_control_and_stores_nothing(signed_in, fake_openai, fields, field, message):
    response = signed_in.post(
        "/ade/providers/add/", new_provider(fake_openai, **fields), headers={"HX-Request": "true"}
    )
    html = response.content.decode()
    assert response.status_code == 422 and message in field_error(html, field)
    assert not Provider.objects.exists()


def test_an_address_the_outbound_policy_refuses_is_shown_next_to_the_base_url(signed_in, fake_openai, settings):
    settings.OUTBOUND_ALLOW = []  # the default: the fake server on 127.0.0.1 is the server's own network
    response = signed_in.post("/ade/providers/add/", new_provider(fake_openai), headers={"HX-Request": "true"})
    assert response.status_code == 422 and "LETTA_OUTBOUND_ALLOW" in field_error(response.content.decode(), "base_url")
    assert 'value="local"' in response.content.decode() and not Provider.objects.exists()
    checked = signed_in.post("/ade/providers/check/", new_provider(fake_openai))
    assert checked.status_code == 422 and "LETTA_OUTBOUND_ALLOW" in field_error(checked.content.decode(), "base_url")
    assert fake_openai.requests == []


def test_a_taken_name_is_refused_next_to_the_name(signed_in, local, fake_openai):
    response = signed_in.post("/ade/providers/add/", new_provider(fake_openai))
    assert response.status_code == 422 and "already exists" in field_error(response.content.decode(), "name")
    assert Provider.objects.count() == 1


def test_checking_before_saving_answers_ok_and_keeps_what_was_typed(signed_in, fake_openai):
    response = signed_in.post("/ade/providers/check/", new_provider(fake_openai, name="trial"))
    html = response.content.decode()
    assert response.status_code == 200 and "✓ Valid api key for provider_type=openai_compatible" in html
    assert 'value="trial"' in html and not Provider.objects.exists()


def test_checking_a_server_that_is_down_shows_its_error(signed_in, fake_openai):
    down = new_provider(fake_openai, base_url=f"http://127.0.0.1:{closed_port()}/v1")
    html = signed_in.post("/ade/providers/check/", down).content.decode()
    assert '<p id="check-new" role="status" class="check failed">✗' in html
    assert not Provider.objects.exists()


def test_checking_a_saved_provider(signed_in, local):
    response = signed_in.post(f"/ade/providers/{local.id}/check/", headers={"HX-Request": "true"})
    html = response.content.decode()
    assert html.startswith(f'<span id="check-{local.id}" role="status" class="check ok">✓ Valid api key')


def test_an_anthropic_provider_needs_no_base_url_and_checks_against_the_fake(signed_in, org, fake_anthropic):
    fields = {"provider_type": "anthropic", "name": "claude", "base_url": fake_anthropic.base_url, "api_key": "k"}
    assert "✓ Valid api key" in signed_in.post("/ade/providers/check/", fields).content.decode()
    signed_in.post("/ade/providers/add/", fields)
    assert Provider.objects.get(name="claude").kind == "anthropic"
    assert "claude/" in signed_in.get("/ade/providers/claude/models/").content.decode()


def test_delete_asks_then_deletes_and_the_models_leave_the_pickers(signed_in, local):
    assert '<option value="local/gpt-4.1-mini"' in signed_in.get("/ade/new/").content.decode()
    html = signed_in.get("/ade/providers/").content.decode()
    assert f'hx-post="/ade/providers/{local.id}/delete/"' in html and "hx-confirm=" in html
    assert (
        "Delete the provider “local”?" in signed_in.get(f"/ade/providers/{local.id}/delete/confirm/").content.decode()
    )
    assert signed_in.get(f"/ade/providers/{local.id}/delete/").status_code == 405

    assert signed_in.post(f"/ade/providers/{local.id}/delete/").status_code == 302
    assert not Provider.objects.exists()
    assert "local/gpt-4.1-mini" not in signed_in.get("/ade/new/").content.decode()


def test_another_organizations_provider_is_not_found(signed_in, fake_openai):
    other = Organization.objects.create(name="other")
    theirs = create_provider(
        organization_id=other.id, name="theirs", provider_type="openai_compatible", base_url=fake_openai.base_url
    )
    assert signed_in.post(f"/ade/providers/{theirs.id}/check/").status_code == 404
    assert signed_in.post(f"/ade/providers/{theirs.id}/delete/").status_code == 404
    assert signed_in.get(f"/ade/providers/{theirs.id}/delete/confirm/").status_code == 404
    assert signed_in.get("/ade/providers/theirs/models/").status_code == 404
    assert "theirs" not in signed_in.get("/ade/providers/").content.decode()
    assert Provider.objects.filter(pk=theirs.id).exists()
