"""A person with two tabs open signs out in one; the other, clicked next, goes to the sign-in page (never a sign-in
page pasted inside the agent's page) and, once signed in, is back on the page it was on."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def _person_has_a_password(person):
    person.set_password(PASSWORD)
    person.save(update_fields=["password"])


def test_signing_out_in_one_tab_sends_the_other_to_sign_in_and_back(page, make_agent):
    agent = make_agent(name="scout")
    memory_page = reverse("ade-agent-memory", args=[agent.id])
    page.goto(memory_page)
    expect(page.get_by_role("heading", name="scout")).to_be_visible()

    other_tab = page.context.new_page()
    other_tab.goto(reverse("ade-keys"))
    other_tab.get_by_role("button", name="Sign out").click()
    expect(other_tab.get_by_role("heading", name="Sign in")).to_be_visible()

    page.get_by_label("Value of human").fill("Name: Ada")
    page.get_by_role("button", name="Save human").click()  # an htmx request, with the session gone

    expect(page).to_have_url(re.compile(r"/ade/login/\?next="))
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    expect(page.locator("header.topbar")).to_have_count(1)  # a page of its own, not one inside the agent's
    expect(page.get_by_role("heading", name="scout")).to_have_count(0)
    assert agent.blocks.get(label="human").value == "Name: unknown"  # nothing was saved

    page.get_by_label("Username").fill("ada")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    expect(page).to_have_url(re.compile(re.escape(memory_page) + "$"))
    expect(page.get_by_role("heading", name="scout")).to_be_visible()
    expect(page.get_by_label("Value of human")).to_have_value("Name: unknown")
    other_tab.close()


def test_a_tab_open_since_before_a_sign_in_elsewhere_reloads_instead_of_failing_silently(page, make_agent):
    # Signing in renews the CSRF token, so the first tab's next save is refused: it reloads with a fresh one.
    agent = make_agent(name="scout")
    memory_page = reverse("ade-agent-memory", args=[agent.id])
    page.goto(memory_page)
    other_tab = page.context.new_page()
    other_tab.goto(reverse("ade-keys"))
    other_tab.get_by_role("button", name="Sign out").click()
    other_tab.get_by_label("Username").fill("ada")
    other_tab.get_by_label("Password").fill(PASSWORD)
    other_tab.get_by_role("button", name="Sign in").click()
    expect(other_tab.get_by_role("heading", name="Agents")).to_be_visible()

    page.get_by_label("Value of human").fill("Name: Ada")
    with page.expect_navigation():  # the reload
        page.get_by_role("button", name="Save human").click()

    expect(page).to_have_url(re.compile(re.escape(memory_page) + "$"))
    page.get_by_label("Value of human").fill("Name: Ada")
    page.get_by_role("button", name="Save human").click()
    expect(page.get_by_role("status").filter(has_text="Saved")).to_be_visible()
    assert agent.blocks.get(label="human").value == "Name: Ada"
    other_tab.close()


def test_a_locked_sign_in_says_until_when(chromium, letta_server, person):
    tab = chromium.new_context(base_url=letta_server.url).new_page()
    tab.goto(reverse("ade-login"))
    for _ in range(5):
        tab.get_by_label("Username").fill("ada")
        tab.get_by_label("Password").fill("a wrong guess")
        tab.get_by_role("button", name="Sign in").click()

    expect(tab.get_by_role("heading", name="Too many failed sign-ins")).to_be_visible()
    expect(tab.get_by_role("alert")).to_contain_text(re.compile(r"Try again after\s+\d\d:\d\d UTC"))
    tab.context.close()
