"""What Letta's clients send to `client.agents.create` and `.update` besides the agent's own fields:
`model_settings`, the deprecated `llm_config`, `embedding_config` and `tool_exec_environment_variables`, on update
`tool_ids`/`block_ids` (which replace the agent's tools and blocks), on create `initial_message_sequence`,
`include_base_tool_rules` and `message_buffer_autoclear`. Each changes what the agent does; a refused request
changes nothing."""

import pytest
from letta_client import APIStatusError

from agents.models import Agent
from tests.api.helpers import create_agent
from tests.fakes import Reply

pytestmark = pytest.mark.django_db(transaction=True)

SHOUT = '''
def shout(text: str) -> str:
    """Say it louder.

    Args:
        text: What to say.
    """
    return text.upper()
'''


def _send(client, agent_id: str, text: str = "hi"):
    return client.agents.messages.create(agent_id, messages=[{"role": "user", "content": text}])


def _max_tokens(request: dict) -> int | None:
    return request.get("max_tokens") or request.get("max_completion_tokens")


def test_model_settings_change_what_the_next_send_asks_the_model_for(client, fake_openai):
    agent = create_agent(client)

    updated = client.agents.update(
        agent.id,
        model_settings={"provider_type": "openai", "temperature": 0.2, "max_output_tokens": 512, "reasoning": {}},
    )

    assert (updated.api_model_settings.temperature, updated.api_model_settings.max_output_tokens) == (0.2, 512)
    fake_openai.script(Reply(text="ok"))
    _send(client, agent.id)
    assert fake_openai.last_request["temperature"] == 0.2 and _max_tokens(fake_openai.last_request) == 512


def test_an_llm_config_read_back_and_changed_is_applied(client, fake_openai):
    agent = create_agent(client)
    config = agent.llm_config.model_dump(exclude_none=True) | {"temperature": 0.4, "context_window": 9000}

    updated = client.agents.update(agent.id, llm_config=config)

    assert updated.model == agent.model
    assert (updated.llm_config.temperature, updated.llm_config.context_window) == (0.4, 9000)
    assert client.agents.retrieve(agent.id).llm_config.context_window == 9000


def test_tool_ids_replace_the_agents_tools(client):
    agent = create_agent(client)
    extra = client.tools.create(source_code=SHOUT)
    kept = [t.id for t in agent.tools if t.name != "conversation_search"]

    updated = client.agents.update(agent.id, tool_ids=[*kept, extra.id])

    names = {t.name for t in updated.tools}
    assert "shout" in names and "conversation_search" not in names
    assert {t.id for t in client.agents.tools.list(agent.id)} == {*kept, extra.id}


def test_block_ids_replace_the_agents_blocks_and_the_prompt_shows_them(client):
    agent = create_agent(client)
    persona = next(b for b in agent.blocks if b.label == "persona")
    human = next(b for b in agent.blocks if b.label == "human")
    project = client.blocks.create(label="project", value="Ships on Friday.")

    updated = client.agents.update(agent.id, block_ids=[persona.id, project.id])

    assert {b.label for b in updated.blocks} == {"persona", "project"}
    overview = client.get(f"/v1/agents/{agent.id}/context", cast_to=object)
    assert "Ships on Friday." in overview["core_memory"] and "Name: unknown" not in overview["core_memory"]
    assert client.blocks.retrieve(human.id).value == "Name: unknown"  # detached, not deleted


def test_legacy_tool_env_names_set_the_agents_secrets(client):
    agent = create_agent(client)

    client.agents.update(agent.id, tool_exec_environment_variables={"API_TOKEN": "s3cret"})

    assert Agent.objects.get(pk=agent.id).secrets == {"API_TOKEN": "s3cret"}


@pytest.mark.parametrize(
    "change, status, says",
    [
        ({"block_ids": ["block-00000000-0000-4000-8000-000000000000"]}, 400, "Block not found"),
        ({"tool_ids": ["tool-00000000-0000-4000-8000-000000000000"]}, 400, "Tool not found"),
        ({"model_settings": {"temperature": 5}}, 422, "temperature"),
        ({"model_settings": {"max_output_tokens": 0}}, 422, "max_output_tokens"),
        ({"model_settings": "warm"}, 422, "model_settings"),
    ],
)
def test_a_refused_update_says_why_and_changes_nothing(client, change, status, says):
    agent = create_agent(client)

    with pytest.raises(APIStatusError) as refused:
        client.agents.update(agent.id, name="renamed", **change)

    assert refused.value.status_code == status and says in refused.value.response.text
    after = client.agents.retrieve(agent.id)
    assert after.name == agent.name and {b.id for b in after.blocks} == {b.id for b in agent.blocks}
    assert {t.id for t in after.tools} == {t.id for t in agent.tools}
    assert after.api_model_settings.temperature == agent.api_model_settings.temperature


def test_two_blocks_with_one_label_are_refused(client):
    agent = create_agent(client)
    other_human = client.blocks.create(label="human", value="Someone else")

    with pytest.raises(APIStatusError) as refused:
        client.agents.update(agent.id, block_ids=[b.id for b in agent.blocks] + [other_human.id])

    assert refused.value.status_code == 409 and "human" in refused.value.response.json()["detail"]
    assert {b.id for b in client.agents.retrieve(agent.id).blocks} == {b.id for b in agent.blocks}


def test_a_conversations_model_settings_are_checked(client):
    agent = create_agent(client)

    with pytest.raises(APIStatusError) as refused:
        client.conversations.create(agent_id=agent.id, model_settings={"temperature": "hot"})

    assert refused.value.status_code == 422 and "temperature" in refused.value.response.text


def test_an_initial_message_sequence_opens_the_agents_context(client, fake_openai):
    agent = create_agent(
        client,
        initial_message_sequence=[
            {"role": "user", "content": "My name is Ada."},
            {"role": "assistant", "content": "Nice to meet you, Ada."},
        ],
    )

    assert len(agent.message_ids) == 3
    listed = client.agents.messages.list(agent.id)
    assert [(m.message_type, m.content) for m in listed][-2:] == [
        ("user_message", "My name is Ada."),
        ("assistant_message", "Nice to meet you, Ada."),
    ]
    fake_openai.script(Reply(text="Ada."))
    _send(client, agent.id, "What is my name?")
    sent = [m.get("content") for m in fake_openai.last_request["messages"]]
    assert "My name is Ada." in str(sent) and "Nice to meet you, Ada." in str(sent)


@pytest.mark.parametrize(
    "sequence, says",
    [
        ([{"role": "tool", "content": "?"}], "role 'tool'"),
        ([{"type": "approval", "approvals": []}], "messages only"),
    ],
)
def test_a_bad_initial_message_is_refused_and_no_agent_is_made(client, sequence, says):
    before = len(list(client.agents.list()))

    with pytest.raises(APIStatusError) as refused:
        create_agent(client, initial_message_sequence=sequence)

    assert refused.value.status_code == 400 and says in refused.value.response.json()["detail"]
    assert len(list(client.agents.list())) == before


def test_a_legacy_agent_without_base_tool_rules_gets_none(client):
    with_rules = create_agent(client, agent_type="memgpt_v2_agent")
    without = create_agent(client, name="bare", agent_type="memgpt_v2_agent", include_base_tool_rules=False)

    assert any(rule.tool_name == "send_message" for rule in with_rules.tool_rules)
    assert without.tool_rules == []


def test_create_takes_autoclear_model_settings_and_an_embedding_config(client):
    agent = create_agent(
        client,
        message_buffer_autoclear=True,
        model_settings={"provider_type": "openai", "max_output_tokens": 700},
        embedding_config={"embedding_endpoint_type": "openai", "embedding_model": "text-embedding-3-small"},
    )

    assert agent.message_buffer_autoclear is True and agent.api_model_settings.max_output_tokens == 700
    assert agent.embedding == "openai/text-embedding-3-small"
