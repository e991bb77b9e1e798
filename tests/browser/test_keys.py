"""The API keys page under the Content-Security-Policy: its Copy button works from static JS (it was an inline
`onclick`, which the policy refuses)."""

from django.urls import reverse
from playwright.sync_api import expect


def test_a_new_key_is_copied_with_its_button(page, letta_server):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=letta_server.url)
    page.goto(reverse("ade-keys"))
    page.get_by_label("New key").fill("laptop")
    page.get_by_role("button", name="Create key").click()

    new_key = page.get_by_label("New API key")
    expect(new_key).to_be_visible()
    raw = new_key.input_value()
    assert raw.startswith("sk-let-")
    page.get_by_role("button", name="Copy").click()

    expect(page.get_by_role("button", name="Copied")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == raw
