"""The agent services the API views and ADE pages call: tools, approval rules and step feedback."""

import pytest

from agents import services
from agents.models import Run, Step
from tools.services import ensure_base_tools

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent(org):
    return services.create_agent(organization_id=org.id, name="svc", model="openai/gpt-4.1-mini")


def approval_rules(agent) -> list[dict]:
    agent.refresh_from_db()
    return [r for r in agent.tool_rules if r["type"] == "requires_approval"]


def test_detach_tool_takes_the_tool_and_its_approval_rule(agent):
    (search,) = ensure_base_tools(agent.organization_id, ["archival_memory_search"])
    services.attach_tool(agent, search)
    services.set_tool_approval(agent, "archival_memory_search", True)
    assert approval_rules(agent) == [{"type": "requires_approval", "tool_name": "archival_memory_search"}]

    services.detach_tool(agent, search)

    assert not agent.tools.filter(pk=search.pk).exists()
    assert approval_rules(agent) == []


def test_set_tool_approval_adds_and_removes_the_rule(agent):
    services.set_tool_approval(agent, "memory_insert", True)
    services.set_tool_approval(agent, "memory_insert", True)  # once only
    assert approval_rules(agent) == [{"type": "requires_approval", "tool_name": "memory_insert"}]

    services.set_tool_approval(agent, "memory_insert", False)
    assert approval_rules(agent) == []


def test_set_tool_approval_refuses_a_tool_the_agent_lacks(agent):
    with pytest.raises(services.ToolNameNotFound) as error:
        services.set_tool_approval(agent, "delete_files", True)
    assert str(error.value) == f"Agent {agent.id} has no tool named 'delete_files'."
    assert approval_rules(agent) == []


def test_record_step_feedback_sets_the_verdict_and_adds_tags_once(agent):
    run = Run.objects.create(organization_id=agent.organization_id, agent=agent, status="completed")
    step = Step.objects.create(organization_id=agent.organization_id, run=run, agent=agent, tags=["a"])

    services.record_step_feedback(step, feedback="positive", tags=["a", "b"])
    step.refresh_from_db()
    assert (step.feedback, step.tags) == ("positive", ["a", "b"])

    services.record_step_feedback(step, tags=["c"])  # the verdict stays when not given
    step.refresh_from_db()
    assert (step.feedback, step.tags) == ("positive", ["a", "b", "c"])

    services.record_step_feedback(step, feedback=None, tags=None)  # None clears the verdict
    step.refresh_from_db()
    assert (step.feedback, step.tags) == (None, ["a", "b", "c"])
