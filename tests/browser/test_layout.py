"""What every screen shares: the agent's tabs, a narrow phone, the keyboard."""

from playwright.sync_api import expect

from tests.browser.conftest import no_sideways_scroll


def test_an_agents_tabs_lead_to_each_panel(page, make_agent):
    agent = make_agent(name="scout")
    page.goto(f"/ade/agents/{agent.id}/")

    expect(page.get_by_role("heading", name="scout")).to_be_visible()
    page.get_by_role("link", name="Memory blocks").click()
    expect(page.get_by_role("link", name="Memory blocks")).to_have_attribute("aria-current", "page")
    expect(page.get_by_text("I am a helpful assistant.")).to_be_visible()


def test_an_agents_page_fits_a_phone(phone, make_agent):
    agent = make_agent(name="scout")
    phone.goto(f"/ade/agents/{agent.id}/")

    expect(phone.get_by_role("heading", name="scout")).to_be_visible()
    assert no_sideways_scroll(phone)
