"""Sleep-time agents through the official `letta-client` SDK against the live server and the fake OpenAI provider:
`enable_sleeptime` makes a companion sharing the agent's blocks, its group is served as Letta serves it, and every
N turns it reads the transcript in the background and edits the shared memory the agent then sees.

letta-client 1.12 has no groups resource, so the /v1/groups routes are reached with the SDK's own raw requests."""

import pytest
from letta_client import APIStatusError, NotFoundError

from agents.models import Group, Run
from memory.models import BlockRevision
from tests.fakes import Reply
from tests.waiting import wait_until

pytestmark = pytest.mark.django_db(transaction=True)

MODEL = "openai/gpt-4.1-mini"


def new_agent(client, name="tutor", **fields):
    return client.agents.create(
        name=name, model=MODEL, memory_blocks=[{"label": "human", "value": "Name: unknown"}], **fields
    )


def groups(client, path="/v1/groups", **params):
    return client.get(path, cast_to=object, options={"params": params})


def modify_group(client, group_id, body):
    return client.patch(f"/v1/groups/{group_id}", cast_to=object, body=body)


@pytest.fixture(autouse=True)
def _no_run_outlives_the_test():
    """A sleep-time run started by a test's last turn must end before the database is flushed (on PostgreSQL its
    writes and the flush deadlock)."""
    yield
    wait_until(
        lambda: not Run.objects.filter(status__in=Run.ACTIVE).exists(),
        message="the test's background runs to end",
        timeout=60,
    )


def finished_run(agent_id):
    return wait_until(
        lambda: Run.objects.filter(agent_id=agent_id).exclude(status__in=Run.ACTIVE).first(),
        message=f"a finished run of the sleep-time agent {agent_id}",
    )


def test_create_with_sleeptime_gives_a_companion_sharing_the_blocks_and_its_group(client):
    agent = new_agent(client, enable_sleeptime=True)

    group = agent.multi_agent_group
    assert agent.enable_sleeptime is True and agent.managed_group.id == group.id
    assert group.manager_type == "sleeptime" and group.manager_agent_id == agent.id
    assert group.sleeptime_agent_frequency == 5 and group.turns_counter == 0
    [sleeper_id] = group.agent_ids
    sleeper = client.agents.retrieve(sleeper_id)
    assert sleeper.name == "tutor-sleeptime" and sleeper.agent_type == "sleeptime_agent" and sleeper.model == MODEL
    assert {t.name for t in sleeper.tools} == {
        "memory_replace",
        "memory_insert",
        "memory_rethink",
        "memory_finish_edits",
    }
    [human] = [b for b in agent.blocks if b.label == "human"]
    assert human.id in {b.id for b in sleeper.blocks}  # the same block, not a copy

    # A block attached to the agent later is shared too.
    notes = client.blocks.create(label="notes", value="")
    client.agents.blocks.attach(notes.id, agent_id=agent.id)
    assert notes.id in {b.id for b in client.agents.retrieve(sleeper_id).blocks}

    assert [g["id"] for g in groups(client)] == [group.id]
    assert groups(client, f"/v1/groups/{group.id}")["agent_ids"] == [sleeper_id]
    assert [g["id"] for g in groups(client, f"/v1/agents/{agent.id}/groups")] == [group.id]
    assert groups(client, "/v1/groups", manager_type="round_robin") == []
    assert groups(client, "/v1/groups/count") == 1


def test_the_sleeptime_agent_edits_a_shared_block_after_a_turn_and_the_agent_sees_it(client, fake_openai):
    agent = new_agent(client, enable_sleeptime=True)
    group_id, sleeper_id = agent.multi_agent_group.id, agent.multi_agent_group.agent_ids[0]
    assert (
        modify_group(client, group_id, {"manager_config": {"sleeptime_agent_frequency": 1}})[
            "sleeptime_agent_frequency"
        ]
        == 1
    )

    fake_openai.script(
        Reply(text="Nice to meet you, Ada."),
        Reply(tool_calls=[("memory_replace", {"label": "human", "old_string": "unknown", "new_string": "Ada"})]),
        Reply(tool_calls=[("memory_finish_edits", {})]),
    )
    answer = client.agents.messages.create(agent.id, input="Hi, I'm Ada.")
    assert [m.content for m in answer.messages if m.message_type == "assistant_message"] == ["Nice to meet you, Ada."]

    run = finished_run(sleeper_id)
    assert run.status == "completed"
    transcript = fake_openai.requests[1]["messages"][-1]["content"]
    assert "Hi, I'm Ada." in transcript and "Nice to meet you, Ada." in transcript
    human = next(b for b in agent.blocks if b.label == "human")
    assert client.blocks.retrieve(human.id).value == "Name: Ada"

    # The edit names the sleep-time agent and its run; the agent's next prompt shows the new value.
    revision = BlockRevision.objects.filter(block_id=human.id).latest("version")
    assert revision.agent_id == sleeper_id and revision.tool_name == "memory_replace"
    history = client.get(f"/v1/agents/{agent.id}/memory/history", cast_to=object)
    assert any(item.get("run_id") == run.id for item in history)
    fake_openai.script(Reply(text="Hello again, Ada."))
    client.agents.messages.create(agent.id, input="Remember me?")
    assert "Name: Ada" in fake_openai.last_request["messages"][0]["content"]
    group = groups(client, f"/v1/groups/{group_id}")
    assert group["turns_counter"] == 2 and group["last_processed_message_id"]

    # Only what is new goes into the next transcript.
    run_ids = {run.id}
    fake_openai.script(Reply(tool_calls=[("memory_finish_edits", {})]))
    wait_until(
        lambda: Run.objects.filter(agent_id=sleeper_id).exclude(status__in=Run.ACTIVE).exclude(id__in=run_ids).first(),
        message="the second sleep-time run",
    )
    second = fake_openai.requests[-1]["messages"][-1]["content"]
    assert "Remember me?" in second and "Hi, I'm Ada." not in second


def test_a_failing_sleeptime_run_leaves_the_turn_intact(client, fake_openai):
    agent = new_agent(client, enable_sleeptime=True)
    modify_group(client, agent.multi_agent_group.id, {"manager_config": {"sleeptime_agent_frequency": 1}})
    fake_openai.script(Reply(text="Noted."), Reply.auth_error())

    answer = client.agents.messages.create(agent.id, input="I like tea.")
    assert [m.content for m in answer.messages if m.message_type == "assistant_message"] == ["Noted."]
    assert answer.stop_reason.stop_reason == "end_turn"
    run = finished_run(agent.multi_agent_group.agent_ids[0])
    assert run.status == "failed"

    primary = client.agents.retrieve(agent.id)
    assert primary.last_stop_reason == "end_turn"
    assert next(b for b in primary.blocks if b.label == "human").value == "Name: unknown"
    fake_openai.script(Reply(text="Tea, yes."), Reply(tool_calls=[("memory_finish_edits", {})]))
    again = client.agents.messages.create(agent.id, input="What do I like?")
    assert [m.content for m in again.messages if m.message_type == "assistant_message"] == ["Tea, yes."]


def test_disabling_removes_the_group_and_the_sleeptime_agent_but_not_the_blocks(client):
    agent = new_agent(client, enable_sleeptime=True)
    sleeper_id = agent.multi_agent_group.agent_ids[0]

    updated = client.agents.update(agent.id, enable_sleeptime=False)
    assert updated.multi_agent_group is None and updated.enable_sleeptime is False
    with pytest.raises(NotFoundError):
        client.agents.retrieve(sleeper_id)
    assert [b.label for b in client.agents.retrieve(agent.id).blocks] == ["human"]
    assert groups(client) == []

    # On again through an update, then off by deleting the group.
    again = client.agents.update(agent.id, enable_sleeptime=True)
    group_id = again.multi_agent_group.id
    client.delete(f"/v1/groups/{group_id}", cast_to=object)
    assert client.agents.retrieve(agent.id).multi_agent_group is None
    assert not Group.objects.exists()


@pytest.mark.parametrize("frequency", [0, -3])
def test_a_frequency_below_one_is_refused_and_nothing_changes(client, frequency):
    agent = new_agent(client, enable_sleeptime=True)
    group_id = agent.multi_agent_group.id
    with pytest.raises(APIStatusError) as raised:
        modify_group(client, group_id, {"manager_config": {"sleeptime_agent_frequency": frequency}})
    assert raised.value.status_code == 400
    assert "sleeptime_agent_frequency must be a whole number of turns from 1" in raised.value.body["detail"]
    assert groups(client, f"/v1/groups/{group_id}")["sleeptime_agent_frequency"] == 5


def test_unknown_groups_and_other_kinds_are_refused_clearly(client):
    with pytest.raises(NotFoundError) as raised:
        groups(client, "/v1/groups/group-nope")
    assert raised.value.body["detail"] == "Group group-nope not found."
    with pytest.raises(NotFoundError):
        modify_group(client, "group-nope", {"manager_config": {"sleeptime_agent_frequency": 2}})
    with pytest.raises(APIStatusError) as raised:
        client.post("/v1/groups", cast_to=object, body={"agent_ids": []})
    assert raised.value.status_code == 400 and "enable_sleeptime=true" in raised.value.body["detail"]

    agent = new_agent(client, enable_sleeptime=True)
    with pytest.raises(APIStatusError) as raised:
        modify_group(client, agent.multi_agent_group.id, {"manager_config": {"manager_type": "round_robin"}})
    assert raised.value.status_code == 400 and "sleeptime group" in raised.value.body["detail"]
    sleeper_id = agent.multi_agent_group.agent_ids[0]
    with pytest.raises(APIStatusError) as raised:
        client.agents.update(sleeper_id, enable_sleeptime=True)
    assert raised.value.status_code == 400 and "cannot have a sleep-time agent" in raised.value.body["detail"]
    assert Group.objects.count() == 1
