"""Every ADE page a person opens: each control has a name a screen reader reads, the page fits a 390 px phone without
sideways scrolling, the keyboard reaches every control, and nothing on it breaks the Content-Security-Policy (every
test here fails on a violation, reported by the page or in the console)."""

import re

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
    "ade-agent-sleeptime",
    "ade-agent-schedules",
]
PAGES = ["ade-agents", "ade-providers", "ade-keys", "ade-tool-new", "ade-agent-create", "ade-agent-import", "ade-mcp"]

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


# Registered before any page script runs (Playwright's init scripts are exempt from the page's policy).
RECORD_VIOLATIONS = """document.addEventListener('securitypolicyviolation', (e) => {
  (window.__cspViolations = window.__cspViolations || []).push(
    `${e.violatedDirective} blocked ${e.blockedURI || 'inline'} at ${e.sourceFile}:${e.lineNumber}`);
});"""


@pytest.fixture(autouse=True)
def no_csp_violations(request):
    """Fails the test on any CSP violation on the tabs it uses."""
    tabs = [request.getfixturevalue(name) for name in ("page", "phone") if name in request.fixturenames]
    seen: list[str] = []
    for tab in tabs:
        tab.add_init_script(RECORD_VIOLATIONS)
        # Chromium reports each violation in the console too, so those of pages already left are caught here.
        tab.on("console", lambda message: _note_csp_console(message, seen))
    yield
    for tab in tabs:
        seen.extend(tab.evaluate("window.__cspViolations || []"))  # the last page's, reported by the page
    assert seen == [], "Content-Security-Policy violations"


def _note_csp_console(message, seen: list[str]) -> None:
    if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
        seen.append(message.text)


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
        if page.evaluate("document.activeElement.textContent.trim()") == "Schedules":
            break
    expect(tabs.last).to_be_focused()
    page.keyboard.press("Enter")
    expect(tabs.last).to_have_attribute("aria-current", "page")


def test_the_api_docs_work_under_their_own_policy(page):
    page.goto("/v1/docs/")
    expect(page.get_by_role("heading", name=re.compile("Letta-compatible agent server API"))).to_be_visible()
