"""Migrations that change stored data keep what users stored."""

import pytest

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE_UNIQUE_OCCURRENCE = ("agents", "0017_scheduled_message_delivering_due")
UNIQUE_OCCURRENCE = ("agents", "0018_run_one_per_scheduled_occurrence")


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
