"""Stories of the agents list: create an agent or start from a starter, find, delete, and move agent files."""

import json
import re

from playwright.sync_api import expect

from agents.models import Agent
from tests.agents.agent_file.conftest import agent_file
from tests.browser.conftest import no_sideways_scroll, shot


def test_create_an_agent_from_the_list_and_land_on_its_page(page):
    page.goto("/ade/")
    page.get_by_role("link", name="New agent").click()
    page.get_by_label("Name").fill("scout")
    page.get_by_label("Model", exact=True).select_option("anthropic/claude-sonnet-4-5")
    persona = page.get_by_label("Persona block")
    expect(persona).to_have_value("I am a helpful assistant.")
    persona.fill("I scout ahead and report what I find.")
    expect(page.get_by_text("37 / 5,000 characters")).to_be_visible()
    shot(page, "agent-create")
    page.get_by_role("button", name="Create agent").click()

    expect(page.get_by_role("heading", name="scout")).to_be_visible()
    agent = Agent.objects.get(name="scout")
    assert page.url.endswith(f"/ade/agents/{agent.id}/")
    assert agent.model == "anthropic/claude-sonnet-4-5"
    assert agent.blocks.get(label="persona").value == "I scout ahead and report what I find."


def test_an_empty_name_is_refused_next_to_it_keeping_the_blocks(page):
    page.goto("/ade/new/")
    page.get_by_label("Persona block").fill("Kept as typed.")
    page.get_by_role("button", name="Create agent").click()
    name = page.get_by_label("Name")
    expect(name).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#id_name_error")).to_have_text("This field is required.")
    expect(page.get_by_label("Persona block")).to_have_value("Kept as typed.")
    assert not Agent.objects.exists()


def test_start_from_a_starter(page):
    page.goto("/ade/new/")
    page.get_by_role("link", name="Start from Customer support").click()
    expect(page.get_by_label("Name")).to_have_value("support-agent")
    page.get_by_role("button", name="Create agent").click()

    expect(page.get_by_role("heading", name="support-agent")).to_be_visible()
    assert "Acme Widgets" in Agent.objects.get(name="support-agent").blocks.get(label="company").value


def test_search_and_filter_by_tag(page, make_agent):
    make_agent(name="alpha-scout", tags=["field"])
    make_agent(name="beta-scout", tags=["desk"])
    make_agent(name="gamma")
    page.goto("/ade/")
    rows = page.locator("#results tbody tr")
    expect(rows).to_have_count(3)
    shot(page, "agents-list")

    page.get_by_label("Search by name").fill("scout")  # htmx, after a short pause in typing
    expect(rows).to_have_count(2)
    expect(page).to_have_url(re.compile(r"\?q=scout"))
    page.get_by_label("Tag").select_option("desk")
    expect(rows).to_have_count(1)
    expect(page.get_by_role("link", name="beta-scout", exact=True)).to_be_visible()
    expect(page).to_have_url(re.compile(r"tag=desk"))


def test_delete_asks_for_confirmation(page, make_agent):
    make_agent(name="keeper")
    agent = make_agent(name="doomed")
    page.goto("/ade/")
    questions = []

    def answer(dialog):
        questions.append(dialog.message)
        dialog.dismiss() if len(questions) == 1 else dialog.accept()

    page.on("dialog", answer)
    delete = page.get_by_role("button", name="Delete doomed")
    delete.click()  # dismissed: nothing happens
    expect(page.get_by_role("link", name="doomed", exact=True)).to_be_visible()
    delete.click()
    expect(page.get_by_role("link", name="doomed", exact=True)).to_have_count(0)
    expect(page.get_by_role("link", name="keeper", exact=True)).to_be_visible()
    assert "Delete the agent “doomed”" in questions[0]
    assert not Agent.objects.filter(pk=agent.id).exists()


def test_download_an_agent_file_and_import_it_back(page, make_agent, tmp_path):
    make_agent(name="traveller")
    page.goto("/ade/")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download traveller as an agent file").click()
    assert download.value.suggested_filename == "traveller.af"
    saved = tmp_path / "traveller.af"
    download.value.save_as(saved)
    assert json.loads(saved.read_text())["agents"][0]["name"] == "traveller"

    page.get_by_role("link", name="Import agent file").click()
    page.get_by_label("Agent file (.af)").set_input_files(saved)
    page.get_by_role("button", name="Import").click()
    link = page.get_by_role("link", name=re.compile(r"^Open traveller"))
    expect(link).to_be_visible()
    link.click()
    expect(page.get_by_role("heading", name=re.compile("traveller"))).to_be_visible()
    assert Agent.objects.filter(name__startswith="traveller").count() == 2


def test_an_over_limit_block_is_imported_with_a_warning(page, tmp_path):
    doc = agent_file(
        blocks=[{"id": "block-0", "label": "human", "value": "Ada likes tea, maps and long walks.", "limit": 10}]
    )
    path = tmp_path / "over.af"
    path.write_text(json.dumps(doc))
    page.goto("/ade/import/")
    page.get_by_label("Agent file (.af)").set_input_files(path)
    page.get_by_role("button", name="Import").click()

    expect(page.get_by_role("link", name="Open ada-helper")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("over its limit of 10")
    shot(page, "agent-import")


def test_a_file_that_is_not_an_agent_file_is_refused_next_to_the_control(page, tmp_path):
    path = tmp_path / "notes.af"
    path.write_text("these are my notes, not JSON")
    page.goto("/ade/import/")
    control = page.get_by_label("Agent file (.af)")
    control.set_input_files(path)
    page.get_by_role("button", name="Import").click()

    expect(page.locator("#id_file_error")).to_contain_text("not valid JSON")
    expect(page.get_by_label("Agent file (.af)")).to_have_attribute("aria-invalid", "true")
    assert not Agent.objects.exists()


def test_the_list_fits_a_phone(phone, make_agent):
    for name in ("a-rather-long-agent-name-that-wraps", "second"):
        make_agent(name=name, tags=["phone"])
    phone.goto("/ade/")
    expect(phone.get_by_role("link", name="second", exact=True)).to_be_visible()
    assert no_sideways_scroll(phone)
    phone.goto("/ade/new/")
    expect(phone.get_by_label("Persona block")).to_be_visible()
    assert no_sideways_scroll(phone)
