"""The shapes Letta's releases wrote, beyond the five fixtures: each is read without losing a character."""

import json

import pytest

from agents.agent_file import import_agent
from agents.models import Agent, Message
from agents.recall import search_messages
from agents.runtime import run_lifecycle
from memory.models import Block
from tests.agents.agent_file.conftest import SYSTEM_TEXT, agent_file, call, context_of, message, text
from tools.builtin import BUILTIN_TOOLS
from tools.models import Tool
from tools.services import ensure_base_tools

pytestmark = pytest.mark.django_db


def imported(org, doc, **options) -> tuple[Agent, object]:
    result = import_agent(doc, organization_id=org.id, **options)
    return Agent.objects.get(pk=result.agent_ids[0]), result


# ----------------------------------------------------------------------------------------------- decoding


def test_double_encoded_json_and_a_byte_order_mark_are_accepted(org):
    doc = agent_file()
    agent, _ = imported(org, b"\xef\xbb\xbf" + json.dumps(json.dumps(doc)).encode())
    assert agent.name == "ada-helper_copy"


def test_older_files_without_the_newer_lists_import(org):
    doc = agent_file()
    for key in ("groups", "files", "sources", "mcp_servers", "metadata"):
        doc.pop(key)
    agent, result = imported(org, doc)
    assert result.warnings == []
    assert [b.value for b in agent.blocks.all()] == ["Name: Ada"]


# ------------------------------------------------------------------------------------------------ messages


def test_string_content_becomes_one_text_part(org):
    doc = agent_file(messages=[message(0, "system", SYSTEM_TEXT), message(1, "user", "Hi, I'm Ada  \n")])
    agent, _ = imported(org, doc)
    system, user = context_of(agent)
    assert system.content == text(SYSTEM_TEXT)
    assert user.content == text("Hi, I'm Ada  \n") and user.text == "Hi, I'm Ada  \n"


def test_a_legacy_packaged_user_message_is_kept_verbatim(org):
    packaged = json.dumps({"type": "user_message", "message": "hello", "time": "2025-01-01 10:00:00 AM UTC+0000"})
    doc = agent_file(messages=[message(0, "system", SYSTEM_TEXT), message(1, "user", text(packaged))])
    agent, _ = imported(org, doc)
    assert context_of(agent)[1].text == packaged


def test_a_legacy_tool_message_becomes_tool_returns_and_keeps_its_content(org):
    ok = json.dumps({"status": "OK", "message": "shipped", "time": "2025-06-01 10:00:03 AM UTC+0000"})
    failed = json.dumps({"status": "Failed", "message": "Error: no such order", "time": None})
    doc = agent_file(
        messages=[
            message(0, "system", SYSTEM_TEXT),
            message(1, "assistant", text("Looking it up."), tool_calls=[call("call_1", "lookup", {"order_id": "7"})]),
            message(2, "tool", text(ok), tool_call_id="call_1", name="lookup"),
            message(3, "assistant", [], tool_calls=[call("call_2", "lookup", {"order_id": "0"})]),
            message(4, "function", [{"type": "text", "text": failed}], tool_call_id="call_2"),
        ]
    )
    agent, result = imported(org, doc)
    rows = context_of(agent)
    assert [r.role for r in rows] == ["system", "assistant", "tool", "assistant", "tool"]
    assert rows[2].content == text(ok)
    assert rows[2].tool_returns == [
        {
            "tool_call_id": "call_1",
            "tool_name": "lookup",
            "status": "success",
            "func_response": "shipped",
            "stdout": None,
            "stderr": None,
            "time": "2025-06-01 10:00:03 AM UTC+0000",
        }
    ]
    assert rows[4].tool_returns[0]["status"] == "error"
    assert rows[4].tool_returns[0]["func_response"] == "Error: no such order"
    assert rows[4].tool_returns[0]["tool_name"] == "lookup"  # found from the call it answers
    assert result.warnings == []


def test_newer_tool_returns_are_read_as_they_are(org):
    doc = agent_file(
        messages=[
            message(0, "system", SYSTEM_TEXT),
            message(
                1,
                "assistant",
                [{"type": "reasoning", "reasoning": "Check it.", "is_native": True, "signature": "sig"}],
                tool_calls=[call("call_1", "lookup")],
            ),
            message(
                2,
                "tool",
                text("ignored packaging"),
                tool_call_id="call_1",
                tool_returns=[
                    {
                        "tool_call_id": "call_1",
                        "status": "success",
                        "func_response": {"state": "ok"},
                        "stdout": ["line"],
                        "stderr": [],
                    }
                ],
            ),
        ]
    )
    agent, _ = imported(org, doc)
    assistant, tool = context_of(agent)[1:]
    assert assistant.content[0]["signature"] == "sig"
    assert tool.tool_returns[0]["func_response"] == '{"state": "ok"}'
    assert tool.tool_returns[0]["stdout"] == ["line"]


def awaiting_approval() -> list[dict]:
    """A conversation saved with the model's call to lookup waiting for approval (message-2)."""
    return [
        message(0, "system", SYSTEM_TEXT),
        message(1, "user", "Cancel order 7."),
        message(2, "approval", [], tool_calls=[call("call_1", "lookup", {"order_id": "7"})]),
    ]


def test_an_answered_approval_keeps_its_link_to_the_request(org):
    doc = agent_file(
        messages=[
            *awaiting_approval(),
            message(
                3,
                "approval",
                [],
                approve=True,
                approval_request_id="message-2",
                approvals=[{"type": "approval", "tool_call_id": "call_1", "approve": True, "reason": None}],
            ),
            message(
                4,
                "tool",
                [],
                tool_returns=[{"tool_call_id": "call_1", "status": "success", "func_response": "cancelled"}],
            ),
            message(5, "assistant", "Done, order 7 is cancelled."),
        ]
    )
    agent, result = imported(org, doc)
    rows = context_of(agent)
    assert [r.role for r in rows] == ["system", "user", "approval", "approval", "tool", "assistant"]
    assert rows[3].approval_request_id == rows[2].id == result.id_mappings["message-2"]
    assert rows[3].approvals[0]["approve"] is True and rows[3].approve is True
    assert run_lifecycle.pending_approval(agent) is None
    assert result.warnings == []


def test_a_file_saved_while_waiting_for_approval_still_waits(org):
    doc = agent_file(messages=awaiting_approval())
    agent, result = imported(org, doc)
    assert run_lifecycle.pending_approval(agent).id == result.id_mappings["message-2"]
    assert any("waits for a decision" in w for w in result.warnings)


def test_an_unanswered_call_gets_the_result_the_person_decided(org):
    doc = agent_file(
        messages=[
            message(0, "system", SYSTEM_TEXT),
            message(1, "approval", [], tool_calls=[call("call_1", "lookup")]),
            message(
                2,
                "approval",
                [],
                approve=False,
                approval_request_id="message-1",
                approvals=[{"type": "approval", "tool_call_id": "call_1", "approve": False, "reason": "not now"}],
            ),
            message(3, "user", "ok"),
        ]
    )
    agent, result = imported(org, doc)
    rows = context_of(agent)
    assert [r.role for r in rows] == ["system", "approval", "approval", "tool", "user"]
    assert rows[3].tool_returns[0]["func_response"].endswith("User reason: not now")
    assert agent.message_count == 5
    assert any("without a result" in w for w in result.warnings)


def test_a_result_without_its_call_stays_in_history_but_leaves_the_context(org):
    doc = agent_file(
        messages=[
            message(0, "system", SYSTEM_TEXT),
            message(
                1, "tool", text(json.dumps({"status": "OK", "message": "old", "time": None})), tool_call_id="call_gone"
            ),
            message(2, "user", "Hello again"),
        ]
    )
    agent, result = imported(org, doc)
    assert [r.role for r in context_of(agent)] == ["system", "user"]
    orphan = Message.objects.get(id=result.id_mappings["message-1"])
    assert orphan.agent_id == agent.id and orphan.tool_returns[0]["func_response"] == "old"
    assert agent.message_count == 3
    assert any("message-1" in w for w in result.warnings)


def test_a_summary_right_after_the_system_message_is_the_context_summary(org):
    summary = json.dumps(
        {
            "type": "system_alert",
            "message": "Note: prior messages have been hidden...\nThe "
            "following is a summary of the previous messages:\nAda likes tea.",
            "time": "t",
        }
    )
    doc = agent_file(
        messages=[message(0, "system", SYSTEM_TEXT), message(1, "user", summary), message(2, "user", summary)]
    )
    agent, _ = imported(org, doc)
    assert [r.role for r in context_of(agent)] == ["system", "summary", "user"]
    assert context_of(agent)[1].text == summary


def test_messages_outside_the_context_are_kept_as_history(org):
    doc = agent_file(
        messages=[
            message(0, "system", SYSTEM_TEXT),
            message(1, "user", "old question"),
            message(2, "assistant", "old answer"),
            message(3, "user", "new question"),
        ],
        in_context=["message-0", "message-3"],
    )
    agent, _ = imported(org, doc)
    assert [r.text for r in context_of(agent)[1:]] == ["new question"]
    history = list(Message.objects.filter(agent=agent).order_by("sequence_id").values_list("text", flat=True))
    assert history[1:] == ["old question", "old answer", "new question"]
    assert agent.message_count == 4
    found = search_messages(agent.id, "old answer", start_date="2025-06-01", end_date="2025-06-01")
    assert [hit["content"] for hit in found][:1] == ["old answer"]  # recall search reaches the imported history


def test_without_in_context_ids_every_message_is_in_context(org):
    doc = agent_file(messages=[message(0, "system", SYSTEM_TEXT), message(1, "user", "hi")])
    del doc["agents"][0]["in_context_message_ids"]
    agent, _ = imported(org, doc)
    assert [r.text for r in context_of(agent)] == [SYSTEM_TEXT, "hi"]


def test_without_a_system_message_one_is_compiled_from_the_template_and_blocks(org):
    doc = agent_file(messages=[message(0, "user", "old"), message(1, "user", "hi")], in_context=["message-1"])
    agent, _ = imported(org, doc)
    system, user = context_of(agent)
    assert system.role == "system" and "You help Ada." in system.text and "Name: Ada" in system.text
    assert user.text == "hi"
    assert "1 previous messages" in system.text  # the memory metadata counts the history out of context


def test_the_file_system_text_is_kept_until_the_first_turn_recompiles_it(org):
    agent, _ = imported(org, agent_file())
    assert context_of(agent)[0].text == SYSTEM_TEXT
    assert agent.system_fingerprint == ""  # stale on purpose: the next run compiles our own rendering


def test_strip_messages_keeps_only_a_fresh_system_message(org):
    doc = agent_file(messages=[message(0, "system", SYSTEM_TEXT), message(1, "user", "hi")])
    agent, _ = imported(org, doc, strip_messages=True)
    assert [r.role for r in context_of(agent)] == ["system"]
    assert "Name: Ada" in context_of(agent)[0].text and agent.message_count == 1


# --------------------------------------------------------------------------------------------------- agent


def test_agent_settings_come_from_the_file(org):
    doc = agent_file(
        secrets={"API_KEY": "", "REGION": ""},
        message_buffer_autoclear=True,
        timezone="Europe/Paris",
        max_tokens=512,
        tool_rules=[{"type": "exit_loop", "tool_name": "lookup", "prompt_template": None}],
    )
    agent, _ = imported(org, doc, secrets={"API_KEY": "sk-123"})
    assert (agent.model, agent.temperature, agent.context_window_limit) == ("openai/gpt-4.1-mini", 0.5, 32000)
    assert agent.secrets == {"API_KEY": "sk-123", "REGION": ""}
    assert agent.message_buffer_autoclear and agent.timezone == "Europe/Paris" and agent.max_tokens == 512
    assert agent.tool_rules == [{"type": "exit_loop", "tool_name": "lookup", "prompt_template": None}]
    assert agent.tags == ["test"]


def test_name_and_model_overrides(org):
    agent, _ = imported(org, agent_file(), name="Ada's helper", model="anthropic/claude-sonnet-4-5")
    assert agent.name == "Ada's helper"
    assert agent.model == "anthropic/claude-sonnet-4-5"
    assert agent.context_window_limit is None  # the file's window was for the file's model


def test_names_can_be_kept_without_the_copy_suffix(org):
    agent, _ = imported(org, agent_file(), append_copy_suffix=False, embedding="openai/text-embedding-3-small")
    assert agent.name == "ada-helper" and agent.embedding == "openai/text-embedding-3-small"


def test_a_model_handle_is_built_from_an_older_llm_config(org):
    doc = agent_file(llm_config={"model": "qwen2.5:7b", "model_endpoint_type": "ollama", "context_window": 8192})
    agent, _ = imported(org, doc)
    assert agent.model == "ollama/qwen2.5:7b"


def test_an_unknown_agent_type_imports_as_a_letta_v1_agent_with_a_warning(org):
    agent, result = imported(org, agent_file(agent_type="voice_convo_agent"))
    assert agent.agent_type == "letta_v1_agent"
    assert any("voice_convo_agent" in w for w in result.warnings)


# ---------------------------------------------------------------------------------------------------- blocks


def test_blocks_keep_value_limit_and_fields_and_over_limit_ones_are_reported(org):
    doc = agent_file(
        blocks=[
            {"id": "block-0", "label": "human", "value": "Ada  \n\tlikes tea ☕", "limit": 10, "read_only": False},
            {
                "id": "block-1",
                "label": "policy",
                "value": "Be kind.",
                "limit": 50,
                "read_only": True,
                "description": "House rules",
                "metadata": {"source": "hr"},
            },
        ]
    )
    agent, result = imported(org, doc)
    human, policy = Block.objects.filter(agents=agent).order_by("created_at", "id")
    assert (human.value, human.limit) == ("Ada  \n\tlikes tea ☕", 10)
    assert (policy.read_only, policy.description, policy.metadata) == (True, "House rules", {"source": "hr"})
    assert result.over_limit_blocks == [{"label": "human", "chars": 18, "limit": 10, "block_id": human.id}]
    assert any("over its limit" in w for w in result.warnings)


def test_blocks_shared_by_two_agents_are_one_block(org):
    doc = agent_file()
    second = {**doc["agents"][0], "id": "agent-1", "name": "companion", "messages": [], "in_context_message_ids": []}
    doc["agents"].append(second)
    result = import_agent(doc, organization_id=org.id)
    first, other = (Agent.objects.get(pk=i) for i in result.agent_ids)
    assert list(first.blocks.all()) == list(other.blocks.all())
    assert other.name == "companion_copy"


# ----------------------------------------------------------------------------------------------------- tools


def test_letta_builtins_become_our_builtin_rows(org):
    agent, _ = imported(org, agent_file())
    builtins = {t.name: t for t in ensure_base_tools(org.id, ["memory_insert", "memory_replace"])}
    attached = {t.name: t for t in agent.tools.all()}
    assert attached["memory_insert"].id == builtins["memory_insert"].id
    assert attached["memory_replace"].json_schema == builtins["memory_replace"].json_schema


def test_an_unknown_letta_builtin_is_kept_with_its_schema_and_a_warning(org):
    schema = {
        "name": "run_bash",
        "description": "Run a bash command in the agent's sandbox.",
        "parameters": {"type": "object", "properties": {"command": {"type": "string"}}, "required": ["command"]},
    }
    tool = {
        "id": "tool-0",
        "name": "run_bash",
        "tool_type": "letta_builtin",
        "json_schema": schema,
        "source_code": None,
    }
    assert "run_bash" not in BUILTIN_TOOLS
    agent, result = imported(org, agent_file(tools=[tool]))
    row = agent.tools.get()
    assert (row.tool_type, row.json_schema) == ("letta_builtin", schema)
    assert any("run_bash" in w and "does not run" in w for w in result.warnings)


def test_an_imported_web_search_becomes_this_servers_builtin(org):
    tool = {
        "id": "tool-0",
        "name": "web_search",
        "tool_type": "letta_builtin",
        "json_schema": {"name": "web_search", "parameters": {"type": "object", "properties": {}}},
        "source_code": None,
    }
    agent, result = imported(org, agent_file(tools=[tool]))
    row = agent.tools.get()
    assert row.id == ensure_base_tools(org.id, ["web_search"])[0].id
    assert row.json_schema["parameters"]["required"] == ["query"]
    assert not any("web_search" in w for w in result.warnings)


def test_a_custom_tool_with_the_same_code_is_shared(org):
    agent, result = imported(org, agent_file())
    row = agent.tools.get(name="lookup")
    assert (row.source_code, row.return_char_limit, row.metadata) == (
        agent_file()["tools"][2]["source_code"],
        6000,
        {"origin": "test"},
    )
    again, result = imported(org, agent_file())
    assert again.tools.get(name="lookup").id == row.id and not any("lookup" in w for w in result.warnings)
    assert Tool.objects.filter(organization=org, name="lookup").count() == 1


def test_a_custom_tool_with_other_code_is_refused_unless_the_caller_chooses(org):
    from agents.agent_file.errors import AgentFileError
    from tests.agents.agent_file.conftest import counts

    agent, _ = imported(org, agent_file())
    row = agent.tools.get(name="lookup")
    original = row.source_code
    changed = agent_file()
    changed["tools"][2] = {**changed["tools"][2], "source_code": "def lookup(order_id: str) -> str:\n    ...\n"}

    before = counts()
    with pytest.raises(AgentFileError, match=r"Tool tool-2 \(lookup\).*different code") as raised:
        import_agent(changed, organization_id=org.id)
    assert raised.value.status_code == 409 and "override_existing_tools=true" in str(raised.value)
    assert counts() == before
    row.refresh_from_db()
    assert row.source_code == original

    kept, result = imported(org, changed, override_existing_tools=False)
    row.refresh_from_db()
    assert kept.tools.get(name="lookup").id == row.id and row.source_code == original
    assert any("lookup" in w and "kept" in w for w in result.warnings)

    replaced, result = imported(org, changed, override_existing_tools=True)
    row.refresh_from_db()
    assert replaced.tools.get(name="lookup").id == row.id and row.source_code == changed["tools"][2]["source_code"]
    assert any(row.id in w and "replaced" in w for w in result.warnings)
    assert Tool.objects.filter(organization=org, name="lookup").count() == 1


@pytest.mark.parametrize("builtin_row_exists", [True, False])
def test_a_custom_tool_never_takes_a_builtins_name(org, builtin_row_exists):
    from agents.agent_file.errors import AgentFileError
    from tests.agents.agent_file.conftest import counts

    impostor = {
        "id": "tool-0",
        "name": "memory_insert",
        "tool_type": "custom",
        "source_code": 'def memory_insert():\n    """Nope."""\n',
        "json_schema": {"name": "memory_insert"},
    }
    if builtin_row_exists:
        ensure_base_tools(org.id, ["memory_insert"])
    before = counts()
    for override in (None, True, False):
        with pytest.raises(AgentFileError, match=r"Tool tool-0 \(memory_insert\) is custom code.*built-in"):
            import_agent(agent_file(tools=[impostor]), organization_id=org.id, override_existing_tools=override)
    assert counts() == before
    assert not Tool.objects.filter(organization=org, name="memory_insert", tool_type="custom").exists()


def test_a_custom_tool_without_a_schema_gets_one_from_its_source(org):
    tool = {k: v for k, v in agent_file()["tools"][2].items() if k != "json_schema"}
    agent, _ = imported(org, agent_file(tools=[tool]))
    schema = agent.tools.get().json_schema
    assert schema["name"] == "lookup" and schema["parameters"]["required"] == ["order_id"]


# ------------------------------------------------------------------------------------------------ refusals


def test_enable_sleeptime_without_a_sleeptime_agent_in_the_file_gets_a_new_one_and_says_so(org):
    agent, result = imported(org, agent_file(enable_sleeptime=True))
    group = agent.managed_group
    assert group.sleeptime_agent.name == "ada-helper_copy-sleeptime"
    assert set(group.sleeptime_agent.blocks.values_list("id", flat=True)) >= set(
        agent.blocks.values_list("id", flat=True)
    )
    assert result.agent_ids == [agent.id, group.sleeptime_agent_id]
    assert any("enable_sleeptime=true but the file brings no sleep-time agent" in w for w in result.warnings)


@pytest.mark.parametrize(
    "group, message",
    [
        ({"manager_agent_id": "agent-7"}, "manager_agent_id 'agent-7' is not an agent of the file"),
        ({"agent_ids": ["agent-0"]}, "exactly one other agent of the file"),
        ({"agent_ids": []}, "exactly one other agent of the file"),
        ({"sleeptime_agent_frequency": 0}, "sleeptime_agent_frequency must be a whole number of turns from 1"),
    ],
)
def test_a_bad_sleeptime_group_is_refused_and_nothing_is_stored(org, group, message):
    from agents.agent_file.errors import AgentFileError
    from tests.agents.agent_file.conftest import counts

    doc = agent_file(enable_sleeptime=True)
    sleeper = {**doc["agents"][0], "id": "agent-1", "name": "ada-helper-sleeptime", "messages": []}
    sleeper.update(in_context_message_ids=[], agent_type="sleeptime_agent", enable_sleeptime=False)
    config = {"manager_type": "sleeptime", "manager_agent_id": "agent-0", "sleeptime_agent_frequency": 3}
    config.update({k: v for k, v in group.items() if k != "agent_ids"})
    doc["agents"].append(sleeper)
    doc["groups"] = [{"id": "group-0", "agent_ids": group.get("agent_ids", ["agent-1"]), "manager_config": config}]
    before = counts()
    with pytest.raises(AgentFileError, match=message):
        import_agent(doc, organization_id=org.id)
    assert counts() == before
