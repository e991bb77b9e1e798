"""The Agent's context-window verbs: the ordered in-context message ids and the count of every stored message."""

import pytest

from agents import services
from agents.models import Agent, Message

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent(org):
    return services.create_agent(organization_id=org.id, name="ctx", model="openai/gpt-4.1-mini")


def store(agent: Agent, *texts: str) -> list[Message]:
    return [
        Message.objects.create(
            organization_id=agent.organization_id,
            agent=agent,
            role="user",
            content=[{"type": "text", "text": t}],
            text=t,
        )
        for t in texts
    ]


def stored_context(agent: Agent) -> tuple[list[str], int]:
    fresh = Agent.objects.get(pk=agent.pk)
    return fresh.message_ids, fresh.message_count


def test_a_new_agent_starts_with_its_system_message_in_context_and_counted(agent):
    system = Message.objects.get(id=agent.message_ids[0])
    assert system.role == "system"
    assert stored_context(agent) == ([system.id], 1)


def test_append_to_context_adds_at_the_end_and_counts(agent):
    system_id = agent.message_ids[0]
    first, second = store(agent, "one", "two")

    agent.append_to_context([first, second.id])  # messages or their ids

    assert (agent.message_ids, agent.message_count) == ([system_id, first.id, second.id], 3)
    assert stored_context(agent) == ([system_id, first.id, second.id], 3)


def test_the_count_moves_relative_to_what_is_stored(agent):
    """Two copies of one agent that each append: the stored count holds both additions."""
    other = Agent.objects.get(pk=agent.pk)
    agent.append_to_context(store(agent, "one"))
    other.append_to_context(store(agent, "two"))
    assert stored_context(agent)[1] == 3


def test_replace_context_sets_the_window_and_counts_only_what_was_stored_on_the_way(agent):
    system_id = agent.message_ids[0]
    old = store(agent, "a", "b", "c")
    agent.append_to_context(old)
    (summary,) = store(agent, "summary of a and b")

    agent.replace_context([system_id, summary, old[2]], stored=1)

    assert stored_context(agent) == ([system_id, summary.id, old[2].id], 5)
    agent.replace_context([system_id, old[2]])
    assert stored_context(agent) == ([system_id, old[2].id], 5)


def test_reset_context_keeps_the_system_message_and_the_count(agent):
    system_id = agent.message_ids[0]
    agent.append_to_context(store(agent, "a", "b"))

    agent.reset_context()

    assert (agent.message_ids, agent.message_count) == ([system_id], 3)
    assert stored_context(agent) == ([system_id], 3)
