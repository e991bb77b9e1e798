"""Settings panel stories: change an agent's model and prompt; a too-large context window is refused in place; a
secret is added, never shown again, and removed."""

import re

from playwright.sync_api import expect

from agents.models import Agent
from tests.browser.conftest import no_sideways_scroll, shot


def token_count(page) -> int:
    return int(page.locator("#system-tokens strong").inner_text().replace(",", ""))


def test_change_the_model_and_the_system_prompt(page, make_agent):
    agent = make_agent(name="scout", system="You are a scout.")
    page.goto(f"/ade/agents/{agent.id}/")
    page.get_by_role("link", name="Settings").click()
    page.wait_for_load_state()  # htmx listens once the page has loaded: what is typed before that is not counted

    prompt = page.get_by_label("System prompt")
    expect(prompt).to_have_value("You are a scout.")
    before = token_count(page)
    prompt.fill("You are a careful scout. Report what you see in short sentences, and never guess.")
    expect(page.locator("#system-tokens strong")).not_to_have_text(str(before))
    assert token_count(page) > before
    expect(page.locator("#system-tokens")).to_contain_text("exact")

    page.get_by_label("Model", exact=True).select_option("anthropic/claude-sonnet-4-5")
    expect(page.locator("#system-tokens")).to_contain_text("estimate")  # no tiktoken encoding for Claude
    page.get_by_label("Temperature").fill("0.4")
    page.get_by_role("button", name="Save settings").click()

    expect(page.get_by_role("status").filter(has_text="Saved")).to_be_visible()
    expect(page.locator(".page-head")).to_contain_text("anthropic/claude-sonnet-4-5")  # the head follows
    expect(page.get_by_label("Model", exact=True)).to_have_value("anthropic/claude-sonnet-4-5")
    expect(page.get_by_label("System prompt")).to_have_value(re.compile("careful scout"))
    shot(page, "agent-settings")
    stored = Agent.objects.get(pk=agent.pk)
    assert (stored.model, stored.temperature) == ("anthropic/claude-sonnet-4-5", 0.4)
    assert stored.system.startswith("You are a careful scout.")
    assert stored.blocks.count() == 2  # the switch kept its memory

    page.reload()
    expect(page.get_by_label("Model", exact=True)).to_have_value("anthropic/claude-sonnet-4-5")


def test_a_context_window_too_large_is_refused_beside_the_field(page, make_agent):
    agent = make_agent(name="scout")
    page.goto(f"/ade/agents/{agent.id}/settings/")

    window = page.get_by_label("Context window (tokens)")
    window.fill("5000000")
    page.get_by_role("button", name="Save settings").click()

    window = page.get_by_label("Context window (tokens)")
    expect(window).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#id_context_window_limit_error")).to_contain_text("maximum is 128,000 tokens")
    expect(window).to_have_value("5000000")
    expect(window).to_have_accessible_description(re.compile("maximum is 128,000 tokens"))
    assert Agent.objects.get(pk=agent.pk).context_window_limit is None


def test_the_settings_panel_fits_a_phone(phone, make_agent):
    agent = make_agent(name="scout", secrets={"A_RATHER_LONG_NAME_FOR_A_SECRET_THAT_WRAPS_ON_A_PHONE": "v"})
    phone.goto(f"/ade/agents/{agent.id}/settings/")

    expect(phone.get_by_role("button", name="Save settings")).to_be_visible()
    expect(phone.get_by_label("New value of A_RATHER_LONG_NAME_FOR_A_SECRET_THAT_WRAPS_ON_A_PHONE")).to_be_visible()
    assert no_sideways_scroll(phone)
    shot(phone, "agent-settings-phone")


def test_an_imported_agents_skills_are_listed_and_fit_a_phone(phone):
    from accounts.models import Organization
    from agents.agent_file import import_agent
    from tests.agents.agent_file.conftest import agent_file

    long_line = "Fill every field of the form " * 20
    doc = {
        **agent_file(),
        "skills": [{"name": "pdf", "files": {"SKILL.md": f"# PDF\n{long_line}"}, "source_url": "anthropic:pdf"}],
    }
    (agent_id,) = import_agent(doc, organization_id=Organization.default().id).agent_ids
    phone.goto(f"/ade/agents/{agent_id}/settings/")

    skills = phone.get_by_role("region", name="Skills")
    skills.get_by_text("pdf", exact=True).click()
    expect(skills.get_by_text("Fill every field of the form").first).to_be_visible()
    assert no_sideways_scroll(phone)


def test_a_person_adds_a_secret_sees_only_its_name_and_removes_it(page, make_agent):
    agent = make_agent(name="scout")
    page.goto(f"/ade/agents/{agent.id}/settings/")
    secrets = page.locator("#secrets-form")
    expect(secrets).to_contain_text("No secrets yet.")

    page.get_by_label("Secret name").fill("WEATHER_KEY")
    page.get_by_label("Secret value").fill("wk-live-5150")
    page.get_by_role("button", name="Save secrets").click()

    expect(secrets.get_by_role("status")).to_have_text("Saved.")
    assert Agent.objects.get(pk=agent.pk).secrets == {"WEATHER_KEY": "wk-live-5150"}
    page.reload()
    expect(page.locator(".secret-name")).to_have_text(["WEATHER_KEY"])
    expect(page.get_by_label("New value of WEATHER_KEY")).to_have_value("")
    expect(page.get_by_label("Secret name")).to_have_value("")  # a blank row to add another
    assert "wk-live-5150" not in page.content()

    page.get_by_label("Remove WEATHER_KEY").check()
    page.get_by_role("button", name="Save secrets").click()

    expect(secrets.get_by_role("status")).to_have_text("Saved.")
    expect(secrets).to_contain_text("No secrets yet.")
    assert Agent.objects.get(pk=agent.pk).secrets == {}
