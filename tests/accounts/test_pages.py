"""The ADE's sign-in and API keys pages, as a person uses them through the browser."""

import pytest
from django.contrib.auth.models import User

from accounts import keys
from accounts.models import APIKey, Membership

ADE_PAGES = ("/ade/", "/ade/keys/", "/ade/agents/agent-x/", "/ade/agents/agent-x/context/")


@pytest.fixture
def member(org):
    user = User.objects.create_user(username="ada", password="correct horse")
    Membership.objects.create(user=user, organization=org)
    return user


@pytest.fixture
def signed_in(client, member):
    client.force_login(member)
    return client


def api_status(client, raw_key: str) -> int:
    return client.get("/v1/agents/", HTTP_AUTHORIZATION=f"Bearer {raw_key}").status_code


@pytest.mark.parametrize("url", ADE_PAGES)
def test_every_page_sends_a_signed_out_visitor_to_sign_in(client, db, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"/ade/login/?next={url}"


def test_the_front_page_leads_to_the_ade(client, db):
    assert client.get("/", follow=True).redirect_chain == [("/ade/", 302), ("/ade/login/?next=/ade/", 302)]


def test_sign_in_then_out(client, member):
    page = client.get("/ade/login/")
    assert page.status_code == 200 and b"Sign in" in page.content

    response = client.post("/ade/login/", {"username": "ada", "password": "correct horse"})
    assert response.status_code == 302 and response["Location"] == "/ade/"
    assert client.get("/ade/keys/").status_code == 200

    assert client.post("/ade/logout/")["Location"] == "/ade/login/"
    assert client.get("/ade/keys/").status_code == 302


def test_a_wrong_password_is_refused_with_a_message(client, member):
    response = client.post("/ade/login/", {"username": "ada", "password": "wrong"})
    assert response.status_code == 200
    assert b"Please enter a correct username and password" in response.content
    assert "_auth_user_id" not in client.session


def test_a_superuser_without_membership_acts_for_the_default_organization(client, org, make_key):
    make_key("default org key")
    admin = User.objects.create_superuser(username="root", password="pw")
    client.force_login(admin)
    assert b"default org key" in client.get("/ade/keys/").content


def test_a_user_in_no_organization_is_told_how_to_fix_it(client, db):
    client.force_login(User.objects.create_user(username="stray"))
    response = client.get("/ade/keys/")
    assert response.status_code == 403
    assert b"belongs to no organization" in response.content
    assert b"create_user stray --org" in response.content


def test_a_new_key_is_shown_once_then_only_its_prefix(signed_in, org):
    response = signed_in.post("/ade/keys/create/", {"name": "laptop"})

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    raw = response.context["raw_key"]
    assert raw.startswith(keys.KEY_PREFIX) and raw in response.content.decode()
    assert "cannot be shown again" in response.content.decode()
    api_key = APIKey.objects.get(name="laptop")
    assert api_key.organization_id == org.id and api_key.key_hash == keys.hash_key(raw)
    assert api_status(signed_in, raw) == 200

    listing = signed_in.get("/ade/keys/").content.decode()
    assert "laptop" in listing and api_key.prefix in listing
    assert raw not in listing


def test_creating_a_key_with_htmx_answers_the_keys_section_only(signed_in):
    response = signed_in.post("/ade/keys/create/", {"name": "ci"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<section id="keys">') and "<html" not in html
    assert response.context["raw_key"] in html


@pytest.mark.parametrize(
    "name, message",
    [
        ("   ", "An API key needs a name"),
        ("x" * 201, "at most 200 characters"),
    ],
)
def test_a_bad_name_is_explained_and_stores_nothing(signed_in, make_key, name, message):
    make_key("existing")
    response = signed_in.post("/ade/keys/create/", {"name": name}, HTTP_HX_REQUEST="true")
    assert response.status_code == 422
    assert message in response.content.decode()
    assert list(APIKey.objects.values_list("name", flat=True)) == ["existing"]


def test_revoking_a_key_marks_it_and_it_stops_authenticating(signed_in, make_key):
    api_key, raw = make_key("old laptop")
    assert api_status(signed_in, raw) == 200

    response = signed_in.post(f"/ade/keys/{api_key.id}/revoke/", HTTP_HX_REQUEST="true")

    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith(f'<tr id="key-{api_key.id}" class="revoked">') and "revoked" in html
    assert api_status(signed_in, raw) == 401
    listing = signed_in.get("/ade/keys/").content.decode()
    assert "old laptop" in listing and "Revoke</button>" not in listing


def test_revoking_without_htmx_returns_to_the_list(signed_in, make_key):
    api_key, _ = make_key()
    response = signed_in.post(f"/ade/keys/{api_key.id}/revoke/")
    assert response.status_code == 302 and response["Location"] == "/ade/keys/"
    api_key.refresh_from_db()
    assert api_key.is_revoked


def test_another_organizations_keys_are_neither_listed_nor_revocable(signed_in, make_key, other_org):
    foreign, raw = make_key("their key", organization=other_org)

    assert b"their key" not in signed_in.get("/ade/keys/").content
    assert signed_in.post(f"/ade/keys/{foreign.id}/revoke/", HTTP_HX_REQUEST="true").status_code == 404
    assert signed_in.post("/ade/keys/apikey-unknown/revoke/").status_code == 404
    foreign.refresh_from_db()
    assert not foreign.is_revoked and api_status(signed_in, raw) == 200


def test_keys_pages_refuse_the_wrong_method(signed_in, make_key):
    api_key, _ = make_key()
    assert signed_in.get("/ade/keys/create/").status_code == 405
    assert signed_in.get(f"/ade/keys/{api_key.id}/revoke/").status_code == 405
    api_key.refresh_from_db()
    assert not api_key.is_revoked
