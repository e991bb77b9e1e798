"""Scheduled messages in the browser: a refused cron expression stays beside its field, a message scheduled a few
seconds ahead is listed, then delivered by the worker (its reply shows in the chat and it leaves the list), and a
recurring one is cancelled after a confirm."""

from datetime import UTC, datetime, timedelta

from playwright.sync_api import expect

from agents.models import Run, ScheduledMessage
from tests.browser.conftest import no_sideways_scroll, shot
from tests.fakes import Reply
from tests.waiting import wait_until


def test_messages_are_scheduled_delivered_and_cancelled_from_the_schedules_tab(page, make_agent, fake_openai):
    agent = make_agent(name="planner")
    page.goto(f"/ade/agents/{agent.id}/")
    page.get_by_role("link", name="Schedules", exact=True).click()
    expect(page.get_by_text("No scheduled messages.")).to_be_visible()

    page.get_by_label("Message", exact=True).fill("Morning briefing, please.")
    page.get_by_label("On a cron schedule").check()
    page.get_by_label("Cron expression (UTC)").fill("every morning")
    page.get_by_role("button", name="Schedule", exact=True).click()
    expect(page.locator("#id_cron_error")).to_contain_text("is not a cron expression")
    expect(page.get_by_label("Message", exact=True)).to_have_value("Morning briefing, please.")

    page.get_by_label("Cron expression (UTC)").fill("0 8 * * 1-5")
    page.get_by_role("button", name="Schedule", exact=True).click()
    expect(page.locator("#schedules .callout.success")).to_contain_text("Scheduled: next delivery")
    expect(page.locator("table.schedules")).to_contain_text("0 8 * * 1-5")

    # Once, a few seconds ahead.
    fake_openai.script(Reply(text="Here is your reminder."))
    soon = (datetime.now(UTC) + timedelta(seconds=8)).replace(microsecond=0)
    page.get_by_label("Message", exact=True).fill("Remind me to <stretch>.")
    page.get_by_label("Once").check()
    page.get_by_label("Date and time (UTC)").fill(f"{soon:%Y-%m-%dT%H:%M:%S}")
    page.get_by_role("button", name="Schedule", exact=True).click()
    expect(page.locator("table.schedules")).to_contain_text("Remind me to <stretch>.")
    shot(page, "schedules")

    page.on("dialog", lambda dialog: dialog.accept())
    page.get_by_role("row", name="0 8 * * 1-5").get_by_role("button", name="Cancel").click()
    expect(page.locator("#schedules .callout.success")).to_contain_text("Cancelled")
    expect(page.locator("table.schedules")).not_to_contain_text("0 8 * * 1-5")
    assert ScheduledMessage.objects.filter(kind="recurring").count() == 0

    wait_until(
        lambda: Run.objects.filter(agent_id=agent.id, status="completed").exists(),
        message="the one-time message to be delivered",
        timeout=90,
    )
    page.reload()
    expect(page.get_by_text("No scheduled messages.")).to_be_visible()
    page.get_by_role("link", name="Chat & context", exact=True).click()
    expect(page.get_by_role("log")).to_contain_text("Here is your reminder.")


def test_the_schedules_tab_fits_a_phone(phone, make_agent):
    from agents import schedules

    agent = make_agent(name="planner-with-a-rather-long-name-for-a-phone")
    schedules.create(
        agent,
        {
            "messages": [{"role": "user", "content": "A long message " * 20}],
            "schedule": {"type": "recurring", "cron_expression": "*/5 * * * *"},
        },
    )
    phone.goto(f"/ade/agents/{agent.id}/schedules/")
    expect(phone.locator("table.schedules")).to_contain_text("*/5 * * * *")
    assert no_sideways_scroll(phone)
