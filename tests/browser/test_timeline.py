"""The memory timeline in the browser: a person's edit with their name and a diff, and restoring an old version."""

from playwright.sync_api import expect

from tests.browser.conftest import no_sideways_scroll, shot


def test_an_edit_shows_on_the_timeline_and_an_old_version_comes_back(page, make_agent):
    agent = make_agent(name="scout", blocks=[{"label": "human", "value": "Name: Ada\nLikes: tea", "limit": 200}])
    page.goto(f"/ade/agents/{agent.id}/memory/")
    page.get_by_label("Value of human").fill("Name: Ada\nLikes: coffee")
    page.get_by_role("button", name="Save human").click()
    expect(page.get_by_text("Saved (version 2).")).to_be_visible()

    page.get_by_role("link", name="Memory timeline", exact=True).click()
    newest = page.locator("li.revision").first
    expect(newest).to_contain_text("human · version 2")
    expect(newest).to_contain_text("By ada in the ADE")
    expect(newest.locator("del")).to_have_text("- Likes: tea")
    expect(newest.locator("ins")).to_have_text("+ Likes: coffee")
    shot(page, "agent-timeline")

    page.on("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Restore human version 1").click()
    expect(page.locator(".callout.success")).to_contain_text(
        "Restored “human” to the value of version 1, as version 3."
    )
    expect(page.locator("li.revision").first).to_contain_text("Restored the value of version 1.")

    page.get_by_role("link", name="Memory blocks", exact=True).click()
    expect(page.get_by_label("Value of human")).to_have_value("Name: Ada\nLikes: tea")


def test_the_timeline_fits_a_phone(phone, make_agent):
    agent = make_agent(name="scout", blocks=[{"label": "human", "value": "A line that is long enough " * 8}])
    phone.goto(f"/ade/agents/{agent.id}/timeline/")

    expect(phone.locator("li.revision").first).to_contain_text("human · version 1")
    assert no_sideways_scroll(phone)
