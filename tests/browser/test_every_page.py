"""Every ADE page a person opens: each control has a name a screen reader reads, the page fits a 390 px phone without
sideways scrolling, and the keyboard reaches every control."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.browser.conftest import no_sideways_scroll

AGENT_PAGES = [
    "ade-agent",
    "ade-agent-settings",
    "ade-agent-memory",
    "ade-agent-timeline",
    "ade-agent-archival",
    "ade-agent-tools",
]
PAGES = ["ade-agents", "ade-providers", "ade-keys", "ade-tool-new", "ade-agent-create", "ade-agent-import"]

# Controls a person uses with no name of their own: no <label>, aria-label, aria-labelledby or title; a button or
# link with no text either.
UNNAMED_CONTROLS = """() => [...document.querySelectorAll(
    'input:not([type=hidden]), select, textarea, button, a[href], summary')]
  .filter((el) => el.offsetParent !== null || el.tagName === 'SUMMARY')
  .filter((el) => {
    const named = el.getAttribute('aria-label') || el.getAttribute('aria-labelledby') || el.getAttribute('title');
    if (named) return false;
    if (['INPUT', 'SELECT', 'TEXTAREA'].includes(el.tagName)) {
      if (['submit', 'button'].includes(el.type)) return !el.value;
      return el.labels.length === 0;
    }
    return !el.textContent.trim();
  })
  .map((el) => el.outerHTML.slice(0, 160))"""


def _urls(agent) -> list[str]:
    return [reverse(name) for name in PAGES] + [reverse(name, args=[agent.id]) for name in AGENT_PAGES]


@pytest.fixture
def agent(make_agent):
    return make_agent(name="scout")


def test_every_control_has_a_name(page, agent):
    for url in _urls(agent):
        page.goto(url)
        assert page.evaluate(UNNAMED_CONTROLS) == [], url


def test_every_page_fits_a_phone(phone, agent):
    for url in _urls(agent):
        phone.goto(url)
        expect(phone.locator("main")).to_be_visible()
        assert no_sideways_scroll(phone), url


def test_the_keyboard_reaches_each_tab_of_an_agent(page, agent):
    page.goto(reverse("ade-agent", args=[agent.id]))
    tabs = page.get_by_role("navigation", name="Agent").get_by_role("link")
    for _ in range(40):  # from the top of the page, through the top bar, to the last tab
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent.trim()") == "Tools":
            break
    expect(tabs.last).to_be_focused()
    page.keyboard.press("Enter")
    expect(tabs.last).to_have_attribute("aria-current", "page")
