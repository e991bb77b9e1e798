"""Archival memory stories: add a passage with tags, find it by search, delete one."""

from playwright.sync_api import expect

from agents import services
from memory import archival
from memory.models import Passage
from tests.browser.conftest import no_sideways_scroll, shot


def stored(agent, text: str, tags: list[str]) -> None:
    # memory.archival directly: the agent has no embedding model, and Playwright's loop forbids async_to_sync here.
    archival.insert_passage(
        archive_id=services.ensure_archive(agent), organization_id=agent.organization_id, text=text, tags=tags
    )


def test_add_a_passage_find_it_and_delete_one(page, make_agent):
    agent = make_agent(name="scout")
    stored(agent, "The office plants need water on Mondays.", ["office"])
    page.goto(f"/ade/agents/{agent.id}/")
    page.get_by_role("link", name="Archival memory").click()

    page.get_by_label("Passage", exact=True).fill("Ada's favourite tea is Darjeeling, brewed for three minutes.")
    page.get_by_label("Tags", exact=True).fill("ada, tea")
    page.get_by_role("button", name="Add passage").click()
    expect(page.get_by_role("status").filter(has_text="Added")).to_be_visible()
    newest = page.locator("#passages li").first
    expect(newest).to_contain_text("Darjeeling")
    expect(newest.locator(".badge")).to_have_text(["ada", "tea"])
    expect(page.locator("#passages")).to_contain_text("2 in the archive")

    page.get_by_label("Search for").fill("darjeeling tea")
    page.get_by_label("Only with tags").fill("tea")
    page.get_by_role("button", name="Search", exact=True).click()
    results = page.locator("#archival-search li")
    expect(results).to_have_count(1)
    expect(results.first).to_contain_text("Darjeeling")
    expect(results.first).to_contain_text("relevance")
    shot(page, "agent-archival")

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete passage: The office plants").click()
    expect(page.locator("#passages")).not_to_contain_text("office plants")
    assert list(Passage.objects.values_list("text", flat=True)) == [
        "Ada's favourite tea is Darjeeling, brewed for three minutes."
    ]


def test_an_empty_passage_is_refused_in_place(page, make_agent):
    agent = make_agent(name="scout")
    page.goto(f"/ade/agents/{agent.id}/archival/")

    page.get_by_label("Tags", exact=True).fill("kept")
    page.get_by_role("button", name="Add passage").click()

    expect(page.get_by_label("Passage", exact=True)).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#id_text_error")).to_contain_text("must not be empty")
    expect(page.get_by_label("Tags", exact=True)).to_have_value("kept")
    assert not Passage.objects.exists()


def test_the_archive_fits_a_phone(phone, make_agent):
    agent = make_agent(name="scout")
    stored(agent, "A long passage " * 30, ["one", "two", "three"])
    phone.goto(f"/ade/agents/{agent.id}/archival/")

    expect(phone.get_by_role("button", name="Add passage")).to_be_visible()
    assert no_sideways_scroll(phone)
