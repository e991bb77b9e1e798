"""The sleep-time agent in the browser: turned on from its panel, it runs after a turn of the chat, its edit of the
shared block shows on the memory timeline under its name, and the panel shows its last run; then it is turned off."""

from playwright.sync_api import expect

from agents.models import Run
from tests.browser.conftest import no_sideways_scroll, shot
from tests.fakes import Reply
from tests.waiting import wait_until


def test_a_sleeptime_agent_is_turned_on_tends_memory_after_a_turn_and_is_turned_off(page, make_agent, fake_openai):
    agent = make_agent(name="scout")
    page.goto(f"/ade/agents/{agent.id}/")
    page.get_by_role("link", name="Sleep-time", exact=True).click()
    expect(page.get_by_role("button", name="Turn on")).to_be_visible()

    # A refused frequency stays beside its field.
    page.get_by_label("Runs after every … turns").fill("0")
    page.get_by_role("button", name="Turn on").click()
    expect(page.locator(".field-error")).to_contain_text("from 1 to 1,000")

    page.get_by_label("Runs after every … turns").fill("1")
    page.get_by_role("button", name="Turn on").click()
    expect(page.locator("#sleeptime .callout.success")).to_contain_text("The sleep-time agent is on.")
    expect(page.get_by_role("link", name="scout-sleeptime")).to_be_visible()
    expect(page.locator(".sleeptime-facts")).to_contain_text("after every 1 turn")

    fake_openai.script(
        Reply(text="Nice to meet you, Ada."),
        Reply(tool_calls=[("memory_replace", {"label": "human", "old_string": "unknown", "new_string": "Ada"})]),
        Reply(tool_calls=[("memory_finish_edits", {})]),
    )
    page.get_by_role("link", name="Chat & context", exact=True).click()
    page.get_by_label("Message", exact=True).fill("Hi, I'm Ada.")
    page.get_by_role("button", name="Send", exact=True).click()
    expect(page.get_by_role("log")).to_contain_text("Nice to meet you, Ada.")
    sleeper_id = agent.sleeptime_group.sleeptime_agent_id
    wait_until(
        lambda: Run.objects.filter(agent_id=sleeper_id, status="completed").exists(),
        message="the sleep-time agent's run to complete",
    )

    page.get_by_role("link", name="Memory timeline", exact=True).click()
    newest = page.locator("li.revision").first
    expect(newest).to_contain_text("By the sleep-time agent")
    expect(newest.locator("ins")).to_have_text("+ Name: Ada")
    shot(page, "agent-sleeptime-timeline")

    page.get_by_role("link", name="Sleep-time", exact=True).click()
    expect(page.locator(".sleeptime-facts")).to_contain_text("completed")
    shot(page, "agent-sleeptime")

    page.on("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Turn off").click()
    expect(page.locator("#sleeptime .callout.success")).to_contain_text("is off")
    expect(page.get_by_role("button", name="Turn on")).to_be_visible()


def test_the_sleeptime_panel_fits_a_phone(phone, make_agent):
    from agents import sleeptime

    agent = make_agent(name="scout-with-a-rather-long-name-for-a-phone")
    sleeptime.enable(agent)
    phone.goto(f"/ade/agents/{agent.id}/sleeptime/")
    expect(phone.locator(".sleeptime-facts")).to_contain_text("after every 5 turns")
    assert no_sideways_scroll(phone)
