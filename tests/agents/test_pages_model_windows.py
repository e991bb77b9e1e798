"""The ADE says when a model's context window is a guess (settings panel, context panel, model pickers) and links
to where it is set; the provider's models page sets each model's window and alias, and the provider's default,
through the services `/v1/providers` calls, refusing bad values beside their control with nothing stored."""

import html as markup
import re

import pytest

from accounts.models import Provider
from agents import providers as model_providers
from agents.provider_services import create_provider, set_model_setting

pytestmark = pytest.mark.django_db(transaction=True)  # the pages list models from the fake in another thread

HTMX = {"HTTP_HX_REQUEST": "true"}
GGUF = "/models/gemma-3-270m-it-Q4_K_M.gguf"
HANDLE = "local/gemma-3-270m-it-Q4_K_M"


def text(response) -> str:
    return markup.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode())))


@pytest.fixture(autouse=True)
def _fresh_servers():
    model_providers.forget_served_windows()
    yield
    model_providers.forget_served_windows()


@pytest.fixture
def local(org, fake_openai):
    fake_openai.models = [GGUF, "gpt-4o"]
    return create_provider(
        organization_id=org.id, name="local", provider_type="openai_compatible", base_url=fake_openai.base_url
    )


@pytest.fixture
def agent(make_agent, local):
    return make_agent(name="small", model=HANDLE)


def test_a_guessed_window_is_marked_with_a_link_to_set_it(signed_in, agent):
    for page in (f"/ade/agents/{agent.id}/settings/", f"/ade/agents/{agent.id}/"):
        response = signed_in.get(page)
        assert "guessed: the server did not say; set it on the provider" in text(response)
        assert 'href="/ade/providers/local/models/"' in response.content.decode()
    options = text(signed_in.get(f"/ade/agents/{agent.id}/settings/"))
    assert f"{HANDLE} (window guessed)" in options and "local/gpt-4o (window guessed)" not in options


def test_a_window_set_on_the_provider_removes_the_mark(signed_in, agent, local):
    set_model_setting(local, GGUF, context_window=6000, alias=None)
    for page in (f"/ade/agents/{agent.id}/settings/", f"/ade/agents/{agent.id}/"):
        shown = text(signed_in.get(page))
        assert f"{HANDLE} (window guessed)" not in shown
        assert "the server did not say" not in shown, shown[shown.find("the server did not") - 300 :][:400]
    assert "6,000" in text(signed_in.get(f"/ade/agents/{agent.id}/"))


def test_the_models_page_shows_windows_and_sets_one_models_window_and_alias(signed_in, local):
    page = text(signed_in.get("/ade/providers/local/models/"))
    assert f"{HANDLE} served as {GGUF}" in page and "8,192 tokens guessed the server did not say" in page

    response = signed_in.post(
        f"/ade/providers/{local.id}/models/settings/",
        {"model_id": GGUF, "context_window": "4096", "alias": "gemma"},
        **HTMX,
    )
    assert response.status_code == 200 and f"Settings of {GGUF} saved" in text(response)
    assert "local/gemma served as" in text(response) and "4,096 tokens" in text(response)
    assert Provider.objects.get(pk=local.pk).model_settings == {GGUF: {"context_window": 4096, "alias": "gemma"}}


@pytest.mark.parametrize(
    "typed, control, words",
    [
        ({"context_window": "0"}, "window", "from 1 to 128,000"),
        ({"context_window": "lots"}, "window", "Enter a whole number"),
        ({"alias": "models/gemma"}, "alias", "without '/'"),
        ({"alias": "taken"}, "alias", "given to both"),
    ],
    ids=["zero", "not-a-number", "slash", "clash"],
)
def test_a_refused_setting_is_shown_beside_its_control_and_nothing_is_stored(signed_in, local, typed, control, words):
    set_model_setting(local, "gpt-4o", context_window=None, alias="taken")
    before = Provider.objects.get(pk=local.pk).model_settings
    body = {"model_id": GGUF, "context_window": "", "alias": "", **typed}
    response = signed_in.post(f"/ade/providers/{local.id}/models/settings/", body, **HTMX)
    assert response.status_code == 422
    html = response.content.decode()
    rows = re.findall(r'<li id="model-\d+" class="model-row">(.*?)</li>', html, re.S)
    row = next(r for r in rows if f'value="{GGUF}"' in r)
    error = re.search(rf'<p class="field-error" id="{control}-\d+-error">(.*?)</p>', row, re.S)
    assert error and words in markup.unescape(error.group(1))
    typed_value = typed.get("context_window") or typed.get("alias")
    assert f'value="{markup.escape(typed_value)}"' in row  # what was typed is kept
    assert Provider.objects.get(pk=local.pk).model_settings == before


def test_the_providers_default_window_is_set_and_refused_beside_its_control(signed_in, local):
    response = signed_in.post(f"/ade/providers/{local.id}/window/", {"context_window": "999999999"}, **HTMX)
    assert response.status_code == 422 and "LETTA_DEFAULT_CONTEXT_WINDOW" in text(response)
    assert Provider.objects.get(pk=local.pk).context_window is None
    response = signed_in.post(f"/ade/providers/{local.id}/window/", {"context_window": "12000"}, **HTMX)
    assert response.status_code == 200 and "12,000 tokens" in text(response) and "guessed" not in text(response)
    assert Provider.objects.get(pk=local.pk).context_window == 12000


def test_a_provider_added_with_a_bad_window_is_refused_beside_it(signed_in, fake_openai):
    body = {"provider_type": "openai_compatible", "name": "w", "base_url": fake_openai.base_url, "context_window": "0"}
    response = signed_in.post("/ade/providers/add/", body, **HTMX)
    assert response.status_code == 422 and "from 1 to" in text(response)
    assert not Provider.objects.filter(name="w").exists()


def test_model_names_and_aliases_are_escaped(signed_in, local, fake_openai):
    fake_openai.models = ["/m/<b>bold</b>.gguf"]
    page = signed_in.get("/ade/providers/local/models/").content.decode()
    assert "<b>bold</b>" not in page and "&lt;b&gt;bold&lt;/b&gt;" in page


def test_another_organizations_provider_cannot_be_set(signed_in, other_org, fake_openai):
    theirs = create_provider(
        organization_id=other_org.id, name="theirs", provider_type="openai_compatible", base_url=fake_openai.base_url
    )
    body = {"model_id": GGUF, "context_window": "4096"}
    assert signed_in.post(f"/ade/providers/{theirs.id}/models/settings/", body).status_code == 404
    assert signed_in.post(f"/ade/providers/{theirs.id}/window/", {"context_window": "1"}).status_code == 404
    assert Provider.objects.get(pk=theirs.pk).model_settings == {}
