"""The settings panel of an agent: each save is `update_agent` (PATCH /v1/agents/{id}); refusals stay beside their
field with what was typed, and store nothing."""

import html as markup
import re

import pytest

from accounts.models import Organization
from agents import services
from agents.models import Agent, Message

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def agent(make_agent):
    return make_agent(name="scout", system="You are a scout.", tags=["field"])


def url(agent) -> str:
    return f"/ade/agents/{agent.id}/settings/"


def form_of(agent, **changes) -> dict:
    data = {
        "name": agent.name,
        "description": agent.description or "",
        "tags": ", ".join(agent.tags),
        "model": agent.model,
        "system": agent.system,
        "temperature": agent.temperature,
        "max_tokens": agent.max_tokens or "",
        "context_window_limit": agent.context_window_limit or "",
        "max_steps": agent.max_steps or "",
    }
    if agent.parallel_tool_calls:
        data["parallel_tool_calls"] = "on"
    return {**data, **changes}


def error_of(html: str, field: str) -> str:
    match = re.search(rf'<p class="field-error" id="id_{field}_error">(.*?)</p>', html, re.S)
    assert match, f"no error beside {field}"
    return markup.unescape(match.group(1))


def test_the_panel_shows_the_agents_settings(signed_in, agent):
    html = signed_in.get(url(agent)).content.decode()

    assert 'value="scout"' in html and "You are a scout." in html and 'value="field"' in html
    assert '<option value="openai/gpt-4.1-mini" selected>' in html
    assert 'aria-current="page">Settings' in html
    assert re.search(r'id="system-tokens".*?<strong>\d+</strong> tokens.*?exact', html, re.S)


def test_a_save_changes_what_was_changed_through_the_agents_service(signed_in, agent):
    response = signed_in.post(
        url(agent),
        form_of(
            agent,
            name="ranger",
            tags="a, b,a",
            system="Be brief.",
            temperature="0.3",
            max_tokens="512",
            context_window_limit="32000",
            parallel_tool_calls="on",
            max_steps="8",
        ),
        **HTMX,
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert 'role="status"' in html and "Saved." in html
    stored = Agent.objects.get(pk=agent.pk)
    assert (stored.name, stored.tags, stored.system) == ("ranger", ["a", "b"], "Be brief.")
    assert (stored.temperature, stored.max_tokens, stored.context_window_limit) == (0.3, 512, 32000)
    assert stored.parallel_tool_calls is True and stored.max_steps == 8
    assert 'value="ranger"' in html and 'value="32000"' in html
    # The new prompt is already compiled into the system message the next run sends.
    assert "Be brief." in Message.objects.get(id=stored.message_ids[0]).text


def test_a_prompt_is_stored_with_the_newlines_typed_not_the_browsers_crlf(signed_in, agent):
    signed_in.post(url(agent), form_of(agent, system="Line one.\r\nLine two."), **HTMX)

    assert Agent.objects.get(pk=agent.pk).system == "Line one.\nLine two."


def test_switching_the_model_keeps_memory_tools_and_history(signed_in, agent):
    blocks = sorted(agent.blocks.values_list("id", flat=True))
    tools = sorted(agent.tools.values_list("id", flat=True))
    history = list(agent.message_ids)

    response = signed_in.post(url(agent), form_of(agent, model="anthropic/claude-sonnet-4-5"), **HTMX)

    assert response.status_code == 200, error_of(response.content.decode(), "model")
    stored = Agent.objects.get(pk=agent.pk)
    assert stored.model == "anthropic/claude-sonnet-4-5"
    assert sorted(stored.blocks.values_list("id", flat=True)) == blocks
    assert sorted(stored.tools.values_list("id", flat=True)) == tools
    assert stored.message_ids == history


@pytest.mark.parametrize(
    "model, words",
    [
        ("nowhere/some-model", "No provider named 'nowhere'"),
        ("openai/not-a-listed-model", "not offered"),
        ("gpt-4o", "not a handle"),
    ],
)
def test_an_unknown_model_is_refused_beside_the_model_select(signed_in, agent, model, words):
    response = signed_in.post(url(agent), form_of(agent, model=model, name="renamed"), **HTMX)

    assert response.status_code == 422
    html = response.content.decode()
    assert words in error_of(html, "model")
    assert 'value="renamed"' in html  # what was typed stays
    assert Agent.objects.get(pk=agent.pk).name == "scout"  # nothing stored


def test_a_context_window_over_the_models_maximum_is_refused_naming_it(signed_in, agent):
    response = signed_in.post(url(agent), form_of(agent, context_window_limit="5000000", system="New."), **HTMX)

    assert response.status_code == 422
    html = response.content.decode()
    assert "its maximum is 128,000 tokens" in error_of(html, "context_window_limit")
    assert 'value="5000000"' in html and "New." in html
    assert (
        'aria-invalid="true"' in html
        and 'aria-describedby="id_context_window_limit_helptext id_context_window_limit_error"' in html
    )
    stored = Agent.objects.get(pk=agent.pk)
    assert stored.context_window_limit is None and stored.system == "You are a scout."


@pytest.mark.parametrize(
    "field, value, words",
    [
        ("name", "", "required"),
        ("temperature", "7", "between 0 and 2"),
        ("temperature", "warm", "Enter a number"),
        ("max_tokens", "0", "greater than or equal to 1"),
        ("max_steps", "0", "between 1 and 1,000"),
        ("max_steps", "5000", "between 1 and 1,000"),
    ],
)
def test_bad_values_are_refused_beside_their_field(signed_in, agent, field, value, words):
    response = signed_in.post(url(agent), form_of(agent, **{field: value}), **HTMX)

    assert response.status_code == 422
    assert words in error_of(response.content.decode(), field)
    stored = Agent.objects.get(pk=agent.pk)
    assert (stored.name, stored.temperature, stored.max_tokens, stored.max_steps) == (
        "scout",
        agent.temperature,
        None,
        None,
    )


def test_the_token_count_follows_the_prompt_and_says_when_it_is_an_estimate(signed_in, agent):
    tokens_url = f"/ade/agents/{agent.id}/settings/tokens/"
    short = signed_in.post(tokens_url, {"system": "Hi", "model": "openai/gpt-4.1-mini"}, **HTMX).content.decode()
    long = signed_in.post(tokens_url, {"system": "Hi there " * 50, "model": "openai/gpt-4.1-mini"}, **HTMX)
    claude = signed_in.post(tokens_url, {"system": "Hi", "model": "anthropic/claude-sonnet-4-5"}, **HTMX)

    count = lambda html: int(re.search(r"<strong>([\d,]+)</strong>", html).group(1).replace(",", ""))  # noqa: E731
    assert count(short) < count(long.content.decode())
    assert "exact" in short and "estimate" not in short
    assert "estimate" in claude.content.decode()


def test_the_api_patch_refuses_what_the_panel_refuses(api, agent):
    too_big = api.patch(f"/v1/agents/{agent.id}", {"context_window_limit": 5_000_000}, content_type="application/json")
    no_provider = api.patch(f"/v1/agents/{agent.id}", {"model": "nowhere/x"}, content_type="application/json")

    assert too_big.status_code == 400 and "128,000" in too_big.json()["detail"]
    assert no_provider.status_code == 400 and "nowhere" in no_provider.json()["detail"]
    assert services.max_context_window("openai/gpt-4.1-mini", agent.organization_id) == 128_000


def test_another_organizations_agent_answers_404(signed_in, providers):
    other = Organization.objects.create(name="other")
    theirs = services.create_agent(organization_id=other.id, name="theirs", model="openai/gpt-4.1-mini")

    assert signed_in.get(url(theirs)).status_code == 404
    assert signed_in.post(url(theirs), form_of(theirs, name="stolen")).status_code == 404
    assert signed_in.post(f"/ade/agents/{theirs.id}/settings/tokens/", {"system": "x"}).status_code == 404
    assert Agent.objects.get(pk=theirs.pk).name == "theirs"
