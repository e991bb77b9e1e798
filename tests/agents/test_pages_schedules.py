"""The Schedules tab of an agent: its live schedules listed (kind, next time in UTC, cron, an escaped preview),
a message scheduled through the service the API reaches, a refusal shown beside its field with what was typed kept
and nothing stored, and a schedule cancelled."""

import html as markup
import re
from datetime import UTC, datetime, timedelta

import pytest

from agents import schedules
from agents.models import ScheduledMessage

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def agent(make_agent):
    return make_agent(name="planner")


def url(agent, tail="") -> str:
    return f"/ade/agents/{agent.id}/schedules/{tail}"


def error_of(html: str, field: str) -> str:
    match = re.search(rf'<p class="field-error" id="id_{field}_error">(.*?)</p>', html, re.S)
    assert match, f"no error beside {field}"
    return markup.unescape(match.group(1))


def schedule(agent, text="Check in", cron="0 9 * * *"):
    return schedules.create(
        agent,
        {"messages": [{"role": "user", "content": text}], "schedule": {"type": "recurring", "cron_expression": cron}},
    )


def test_the_tab_lists_live_schedules_with_an_escaped_preview(signed_in, agent):
    made = schedule(agent, text="<b>Morning</b> briefing")
    page = signed_in.get(url(agent)).content.decode()
    assert 'aria-current="page">Schedules</a>' in page
    assert "&lt;b&gt;Morning&lt;/b&gt; briefing" in page and "<b>Morning</b>" not in page
    assert "0 9 * * *" in page and f"{made.next_scheduled_at:%Y-%m-%d} 09:00" in page
    assert "Cancel" in page


def test_the_list_pages(signed_in, agent, settings):
    for index in range(23):
        schedule(agent, text=f"note {index}", cron=f"{index} 9 * * *")
    first = signed_in.get(url(agent)).content.decode()
    assert first.count('<tr id="schedule-') == 20 and "Page 1 of 2" in first
    second = signed_in.get(url(agent) + "?page=2").content.decode()
    assert second.count('<tr id="schedule-') == 3


def test_scheduling_once_and_on_cron(signed_in, agent):
    at = (datetime.now(UTC) + timedelta(days=1)).replace(second=0, microsecond=0)
    once = signed_in.post(
        url(agent, "new/"), {"message": "Remind me", "kind": "one-time", "when": f"{at:%Y-%m-%dT%H:%M}"}, **HTMX
    )
    assert once.status_code == 200 and "Scheduled: next delivery" in once.content.decode()
    stored = ScheduledMessage.objects.get(kind="one-time")
    assert stored.next_scheduled_at == at and stored.request["messages"][0]["content"] == "Remind me"

    cron = signed_in.post(url(agent, "new/"), {"message": "Daily", "kind": "recurring", "cron": "*/30 * * * *"}, **HTMX)
    assert cron.status_code == 200 and "*/30 * * * *" in cron.content.decode()
    assert ScheduledMessage.objects.get(kind="recurring").cron_expression == "*/30 * * * *"


@pytest.mark.parametrize(
    ("typed", "field", "words"),
    [
        ({"message": "Hi", "kind": "recurring", "cron": "sometimes"}, "cron", "is not a cron expression"),
        ({"message": "Hi", "kind": "one-time", "when": "2001-01-01T00:00"}, "when", "in the past"),
        ({"message": "Hi", "kind": "one-time", "when": ""}, "when", "Give the date and time"),
        ({"message": "", "kind": "recurring", "cron": "0 9 * * *"}, "message", "empty"),
    ],
)
def test_a_refused_schedule_is_shown_beside_its_field_and_nothing_stored(signed_in, agent, typed, field, words):
    refused = signed_in.post(url(agent, "new/"), typed, **HTMX)
    assert refused.status_code == 422
    html = refused.content.decode()
    assert words in error_of(html, field)
    for value in typed.values():
        if value and value not in ("one-time", "recurring"):
            assert markup.escape(value) in html  # what was typed is kept
    assert not ScheduledMessage.objects.exists()


def test_cancel_deletes_it_through_the_service(signed_in, agent):
    made = schedule(agent)
    answer = signed_in.post(url(agent, f"{made.id}/cancel/"), **HTMX)
    assert answer.status_code == 200 and "Cancelled" in answer.content.decode()
    assert not ScheduledMessage.objects.exists()


def test_another_organizations_agent_or_schedule_is_not_found(signed_in, agent, other_org):
    from agents import services

    outsider = services.create_agent(organization_id=other_org.id, name="x", model="openai/gpt-4.1-mini")
    assert signed_in.get(url(outsider)).status_code == 404
    assert signed_in.post(url(agent, "scheduled_message-nope/cancel/")).status_code == 404
