"""Migrations that change stored data keep what users stored."""

import json

import pytest
from django.db import connection

from agents.models import Run, ScheduledMessage

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE_UNIQUE_OCCURRENCE = ("agents", "0017_scheduled_message_delivering_due")
UNIQUE_OCCURRENCE = ("agents", "0018_run_one_per_scheduled_occurrence")
ENCRYPTED_CALLBACKS = ("agents", "0019_callback_urls_encrypted")

HOOK = "https://hooks.example.com/done?token=hook-secret-5531"


def test_runs_that_delivered_an_occurrence_twice_are_kept_and_only_the_first_claims_it(make_agent, migrated_to):
    agent = make_agent()
    apps = migrated_to(BEFORE_UNIQUE_OCCURRENCE)
    Run = apps.get_model("agents", "Run")
    occurrence = {"scheduled_message_id": "sched-1", "scheduled_for": "2026-12-01T03:00:00+00:00"}
    common = {"organization_id": agent.organization_id, "agent_id": agent.id, "status": "completed"}
    first = Run.objects.create(**common, metadata=dict(occurrence))
    second = Run.objects.create(**common, metadata={**occurrence, "source": "schedule"})
    other = Run.objects.create(**common, metadata={"scheduled_message_id": "sched-1", "scheduled_for": "later"})

    Run = migrated_to(UNIQUE_OCCURRENCE).get_model("agents", "Run")

    assert Run.objects.get(pk=first.pk).metadata == occurrence
    assert Run.objects.get(pk=second.pk).metadata == {"source": "schedule", "redelivered_occurrence": occurrence}
    assert Run.objects.get(pk=other.pk).metadata["scheduled_for"] == "later"


def stored(table: str, column: str, pk: str):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def test_callback_urls_stored_in_plain_text_are_encrypted_and_the_reverse_restores_them(make_agent, migrated_to):
    agent = make_agent()
    apps = migrated_to(UNIQUE_OCCURRENCE)
    common = {"organization_id": agent.organization_id, "agent_id": agent.id}
    run = apps.get_model("agents", "Run").objects.create(**common, status="completed", callback_url=HOOK)
    quiet = apps.get_model("agents", "Run").objects.create(**common, status="completed")
    request = {"messages": [{"role": "user", "content": "Standup time"}], "callback_url": HOOK}
    schedule = apps.get_model("agents", "ScheduledMessage").objects.create(
        **common, kind="recurring", cron_expression="0 9 * * *", request=request
    )

    migrated_to(ENCRYPTED_CALLBACKS)

    for column in (
        stored("agents_run", "callback_url", run.pk),
        stored("agents_scheduledmessage", "request", schedule.pk),
    ):
        assert column.startswith("enc1:") and "hook-secret-5531" not in column
    assert stored("agents_run", "callback_url", quiet.pk) is None
    assert Run.objects.get(pk=run.pk).callback_url == HOOK
    assert ScheduledMessage.objects.get(pk=schedule.pk).request == request

    migrated_to(UNIQUE_OCCURRENCE)

    assert stored("agents_run", "callback_url", run.pk) == HOOK
    assert json.loads(stored("agents_scheduledmessage", "request", schedule.pk)) == request
