"""What every answer carries or looks like beyond its content: the Content-Security-Policy, the favicon, and the
error pages (styled for the ADE, JSON for the API)."""

import json

import pytest
from django.contrib.staticfiles import finders
from django.test import RequestFactory
from django.urls import reverse

from accounts.api_errors import server_error


def policy(response) -> dict[str, list[str]]:
    directives = [part.strip().split() for part in response["Content-Security-Policy"].split(";") if part.strip()]
    return {name: values for name, *values in directives}


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["ade-login", "ade-keys", "ade-agents"])
def test_ade_pages_send_a_strict_content_security_policy(client, admin_user, name):
    if name != "ade-login":
        client.force_login(admin_user)
    response = client.get(reverse(name))

    assert response.status_code == 200
    csp = policy(response)
    assert csp["script-src"] == ["'self'"]  # no inline script, handler or eval
    assert csp["style-src"] == ["'self'"] and csp["style-src-attr"] == ["'unsafe-inline'"]  # no <style> element
    assert csp["default-src"] == ["'self'"] and csp["connect-src"] == ["'self'"]
    assert csp["img-src"] == ["'self'", "data:"]
    assert csp["frame-ancestors"] == ["'none'"] and csp["object-src"] == ["'none'"] and csp["base-uri"] == ["'none'"]
    assert csp["form-action"] == ["'self'"]


@pytest.mark.django_db
def test_htmx_is_told_to_evaluate_nothing(admin_client):
    page = admin_client.get(reverse("ade-agents")).content.decode()
    config = page.split('<meta name="htmx-config" content=\'')[1].split("'>")[0]
    assert json.loads(config) | {"responseHandling": None} == {
        "allowEval": False,
        "allowScriptTags": False,
        "includeIndicatorStyles": False,
        "responseHandling": None,
    }


@pytest.mark.django_db
def test_the_api_docs_page_has_its_own_policy_for_swagger_uis_inline_script(client):
    response = client.get("/v1/docs/")

    assert response.status_code == 200 and b"swagger-ui" in response.content
    csp = policy(response)
    assert "'unsafe-inline'" in csp["script-src"] and "'unsafe-eval'" not in csp["script-src"]
    assert csp["frame-ancestors"] == ["'none'"]


@pytest.mark.django_db
def test_the_api_answers_json_without_a_policy_it_does_not_need_to_loosen(client):
    response = client.get("/v1/health/")
    assert response["Content-Type"] == "application/json"
    assert policy(response)["script-src"] == ["'self'"]


@pytest.mark.django_db
def test_pages_name_the_svg_favicon_and_favicon_ico_leads_to_it(client):
    page = client.get(reverse("ade-login")).content.decode()
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in page

    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"] == "/static/favicon.svg"
    assert finders.find("favicon.svg")


@pytest.mark.django_db
def test_an_unknown_ade_page_is_a_styled_404(admin_client):
    response = admin_client.get("/ade/no-such-page/")

    assert response.status_code == 404
    text = response.content.decode()
    assert "Page not found" in text and "/ade/no-such-page/" in text
    assert 'href="/static/ade.css"' in text and "Sign out" in text  # the ADE's frame, for the signed-in person


@pytest.mark.django_db
def test_the_404_page_escapes_the_path(client):
    text = client.get("/<script>x</script>/").content.decode()
    assert "<script>x" not in text and "/%3Cscript%3Ex%3C/script%3E/" in text


@pytest.mark.django_db
def test_api_404s_stay_json(client, api):
    unknown_route = client.get("/v1/no-such-route/")
    unknown_agent = api.get("/v1/agents/agent-00000000-0000-4000-8000-000000000000")

    for response in (unknown_route, unknown_agent):
        assert response.status_code == 404
        assert response["Content-Type"] == "application/json" and "detail" in response.json()


def test_the_500_page_renders_without_a_database_or_a_request_context():
    # No django_db mark: any query here fails the test.
    response = server_error(RequestFactory().get("/ade/agents/"))

    assert response.status_code == 500
    text = response.content.decode()
    assert "Something went wrong on the server" in text and 'href="/static/ade.css"' in text
    assert "Sign out" not in text


def test_an_api_500_stays_json():
    response = server_error(RequestFactory().get("/v1/agents/"))
    assert response.status_code == 500 and json.loads(response.content) == {"detail": "An unknown error occurred"}
