"""Browser stories: Debian's Chromium, driven by Playwright, on the live server (`letta_server`).

One Chromium serves all the stories; each test gets a fresh context (its own cookies) signed in as a member of the
default organization, on the shared daphne and its test database, so the tests are transactional. Only the SQLite
leg runs them (tests/conftest.py): they test pages, not the database.

`shot(page, name)` saves a screenshot to docs/screenshots/NAME.png; the README shows the main screens from there.
"""

from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.test import Client
from playwright.sync_api import Page, expect, sync_playwright

from accounts.models import Membership, Organization

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
DESKTOP = {"width": 1280, "height": 860}
PHONE = {"width": 390, "height": 844}
# Long enough for a page on a loaded 2-core CI machine; a story that waits this long has failed anyway.
expect.set_options(timeout=15_000)


@pytest.fixture(autouse=True)
def _orm_beside_playwright(monkeypatch):
    # Playwright's sync API keeps an asyncio loop marked running on this thread between its calls, which Django's
    # ORM would take for async code; the tests' ORM calls are plain synchronous setup and checks.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="package")
def chromium(letta_server):
    # After the live server, so the test database exists (and is torn down) outside Playwright's loop; and for this
    # package only, so that loop is gone before the next directory's tests use the ORM.
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def person(transactional_db):
    """A signed-up person, a member of the default organization, signed in by cookie: no password (hashing one
    by design takes about a second; the tests that sign in by form give it one)."""
    user = User.objects.create_user(username="ada")
    Membership.objects.create(user=user, organization=Organization.default())
    return user


def _signed_in_page(chromium, letta_server, person, viewport) -> Page:
    django_client = Client()
    django_client.force_login(person)
    context = chromium.new_context(base_url=letta_server.url, viewport=viewport)
    session = django_client.cookies["sessionid"]
    context.add_cookies([{"name": "sessionid", "value": session.value, "url": letta_server.url}])
    return context.new_page()


@pytest.fixture
def page(chromium, letta_server, person, providers):
    """A signed-in browser tab at desktop size (closed after the test)."""
    tab = _signed_in_page(chromium, letta_server, person, DESKTOP)
    yield tab
    tab.context.close()


@pytest.fixture
def phone(chromium, letta_server, person, providers):
    """A signed-in browser tab 390 px wide."""
    tab = _signed_in_page(chromium, letta_server, person, PHONE)
    yield tab
    tab.context.close()


def shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def no_sideways_scroll(page: Page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
