"""The Secrets section of an agent's settings: names listed, values never sent to the browser; each save is
`update_agent(secrets=...)`, the API's PATCH, so a masked (empty) box keeps the stored value and a refused save
stores nothing."""

import html as markup
import json
import re

import pytest
from django.test import Client

from accounts.models import Organization
from agents import services
from agents.models import Agent
from agents.secrets import SECRET_MASK
from tools.services import upsert_tool_from_source

HTMX = {"HTTP_HX_REQUEST": "true"}
STORED = {"API_TOKEN": "sk-live-123456", "REGION": "eu-north-77"}


@pytest.fixture
def agent(make_agent):
    return make_agent(name="scout", secrets=STORED)


def url(agent) -> str:
    return f"/ade/agents/{agent.id}/settings/secrets/"


def rows(agent, *, values=None, remove=(), add=("", "")) -> dict:
    """What the page's form posts: a row per stored secret (sorted, as shown), then the row that adds one."""
    names = sorted(Agent.objects.get(pk=agent.pk).secrets)
    data = {
        "secret-TOTAL_FORMS": len(names) + 1,
        "secret-INITIAL_FORMS": len(names),
        "secret-MIN_NUM_FORMS": 0,
        "secret-MAX_NUM_FORMS": 1000,
    }
    for index, name in enumerate(names):
        data[f"secret-{index}-name"] = name
        data[f"secret-{index}-value"] = (values or {}).get(name, "")
        if name in remove:
            data[f"secret-{index}-DELETE"] = "on"
    data[f"secret-{len(names)}-name"], data[f"secret-{len(names)}-value"] = add
    return data


def stored(agent) -> dict:
    return Agent.objects.get(pk=agent.pk).secrets


def error_of(html: str, row: int) -> str:
    match = re.search(rf'<p class="field-error" id="id_secret-{row}-name_error">(.*?)</p>', html, re.S)
    assert match, f"no error beside row {row}"
    return markup.unescape(match.group(1))


def assert_no_value_in(html: str, *values: str) -> None:
    for value in (*STORED.values(), *values):
        assert value not in html, value


def test_the_panel_lists_each_secrets_name_and_no_value(signed_in, agent):
    html = signed_in.get(f"/ade/agents/{agent.id}/settings/").content.decode()

    assert '<code class="secret-name">API_TOKEN</code>' in html and '<code class="secret-name">REGION</code>' in html
    assert 'aria-label="New value of API_TOKEN"' in html and f'placeholder="{SECRET_MASK}"' in html
    assert not re.search(r'type="password"[^>]*\svalue=', html)  # the boxes start empty
    assert 'name="csrfmiddlewaretoken"' in html.split('id="secrets-form"')[1]
    assert_no_value_in(html)


def test_the_form_the_page_renders_is_what_the_tests_post(signed_in, agent):
    html = signed_in.get(f"/ade/agents/{agent.id}/settings/").content.decode()
    form = html.split('id="secrets-form"')[1].split("</form>")[0]

    names = set(re.findall(r'name="(secret-[^"]+)"', form))
    assert names == set(rows(agent)) | {"secret-0-DELETE", "secret-1-DELETE"}


def test_a_secret_is_added(signed_in, agent):
    response = signed_in.post(url(agent), rows(agent, add=("WEATHER_KEY", "wk-secret-9")), **HTMX)

    assert response.status_code == 200
    html = response.content.decode()
    assert 'role="status"' in html and "Saved." in html
    assert '<code class="secret-name">WEATHER_KEY</code>' in html
    assert stored(agent) == {**STORED, "WEATHER_KEY": "wk-secret-9"}
    assert_no_value_in(html, "wk-secret-9")


def test_a_value_typed_replaces_the_stored_one_and_empty_boxes_keep_theirs(signed_in, agent):
    response = signed_in.post(url(agent), rows(agent, values={"REGION": "us-east-55"}), **HTMX)

    assert response.status_code == 200
    assert stored(agent) == {"API_TOKEN": "sk-live-123456", "REGION": "us-east-55"}
    assert_no_value_in(response.content.decode(), "us-east-55")


def test_a_save_with_every_box_left_masked_keeps_every_value(signed_in, agent):
    response = signed_in.post(url(agent), rows(agent), **HTMX)

    assert response.status_code == 200 and "Saved." in response.content.decode()
    assert stored(agent) == STORED


def test_a_secret_is_removed(signed_in, agent):
    response = signed_in.post(url(agent), rows(agent, remove=("API_TOKEN",)), **HTMX)

    assert response.status_code == 200
    assert stored(agent) == {"REGION": "eu-north-77"}
    assert '<code class="secret-name">API_TOKEN</code>' not in response.content.decode()


@pytest.mark.parametrize(
    "name, words",
    [
        ("1ST_KEY", "not an environment variable name"),
        ("my-token", "not an environment variable name"),
        ("API TOKEN", "not an environment variable name"),
        ("K" * 129, "the most is 128"),
    ],
)
def test_a_name_that_is_not_an_environment_variables_is_refused_beside_it(signed_in, agent, name, words):
    response = signed_in.post(url(agent), rows(agent, values={"REGION": "us-east-55"}, add=(name, "typed-77")), **HTMX)

    assert response.status_code == 422
    html = response.content.decode()
    assert words in error_of(html, 2)
    assert "Nothing was changed" in html
    assert stored(agent) == STORED  # not even the other row's new value
    assert_no_value_in(html, "typed-77", "us-east-55")


def test_a_name_already_used_is_refused_beside_it(signed_in, agent):
    response = signed_in.post(url(agent), rows(agent, add=("API_TOKEN", "other-value-1")), **HTMX)

    assert response.status_code == 422
    html = response.content.decode()
    assert "There is already a secret named API_TOKEN" in error_of(html, 2)
    assert stored(agent) == STORED
    assert_no_value_in(html, "other-value-1")


def test_a_value_without_a_name_is_refused_beside_the_name(signed_in, agent):
    response = signed_in.post(url(agent), rows(agent, add=("  ", "orphan-value-3")), **HTMX)

    assert response.status_code == 422
    assert "Give the secret a name" in error_of(response.content.decode(), 2)
    assert stored(agent) == STORED


def test_a_removed_name_may_be_added_again_with_a_new_value(signed_in, agent):
    response = signed_in.post(url(agent), rows(agent, remove=("REGION",), add=("REGION", "ap-south-2")), **HTMX)

    assert response.status_code == 200
    assert stored(agent) == {"API_TOKEN": "sk-live-123456", "REGION": "ap-south-2"}


def test_a_secret_removed_elsewhere_since_the_page_was_shown_stays_removed(signed_in, agent):
    form = rows(agent, add=("ADDED", "added-8"))  # the page as shown, with REGION still listed
    services.update_agent(agent, secrets={"API_TOKEN": SECRET_MASK})  # another tab removes REGION

    response = signed_in.post(url(agent), form, **HTMX)

    assert response.status_code == 200
    assert stored(agent) == {"API_TOKEN": "sk-live-123456", "ADDED": "added-8"}


def test_a_new_secret_may_have_an_empty_value(signed_in, agent):
    signed_in.post(url(agent), rows(agent, add=("EMPTY_ONE", "")), **HTMX)

    assert stored(agent) == {**STORED, "EMPTY_ONE": ""}


def test_without_htmx_the_save_answers_the_whole_page(signed_in, agent):
    response = signed_in.post(url(agent), rows(agent, add=("NEW_ONE", "plain-post-4")))

    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="settings-form"' in html and "Saved." in html
    assert stored(agent)["NEW_ONE"] == "plain-post-4"
    assert_no_value_in(html, "plain-post-4")


def test_a_save_needs_the_csrf_token(person, agent):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(person)

    response = browser.post(url(agent), rows(agent, add=("FORGED", "forged-value")))

    assert response.status_code == 403
    assert stored(agent) == STORED


def test_another_organizations_agent_answers_404(signed_in, providers):
    other = Organization.objects.create(name="other")
    theirs = services.create_agent(
        organization_id=other.id, name="theirs", model="openai/gpt-4.1-mini", secrets={"K": "v"}
    )

    assert signed_in.post(url(theirs), rows(theirs, add=("STOLEN", "x"))).status_code == 404
    assert stored(theirs) == {"K": "v"}


HAIL = 'import os\ndef hail(name: str) -> str:\n    """Hail."""\n    return os.environ["GREETING"] + " " + name\n'


def test_the_next_tool_run_sees_a_secret_set_on_the_page(signed_in, api, agent):
    tool = upsert_tool_from_source(organization_id=agent.organization_id, source_code=HAIL)
    services.attach_tool(agent, tool)
    run = f"/v1/agents/{agent.id}/tools/hail/run"

    signed_in.post(url(agent), rows(agent, add=("GREETING", "Ahoy")), **HTMX)
    first = api.post(run, json.dumps({"args": {"name": "Ada"}}), content_type="application/json").json()
    signed_in.post(url(agent), rows(agent, values={"GREETING": "Hello"}), **HTMX)
    second = api.post(run, json.dumps({"args": {"name": "Ada"}}), content_type="application/json").json()

    assert (first["status"], first["func_return"]) == ("success", "Ahoy Ada")  # run in the sandbox
    assert second["func_return"] == "Hello Ada"
