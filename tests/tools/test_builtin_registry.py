from agents.models import AgentType
from tools.builtin import (
    BASE_TOOLS_BY_AGENT_TYPE,
    BASE_TOOLS_WITH_SLEEPTIME,
    BUILTIN_TOOLS,
    NO_TRUNCATION,
    TERMINAL_BY_DEFAULT,
    TOOL_TYPES,
    builtin_schema,
)
from tools.models import Tool


def test_every_builtin_has_a_type_and_a_schema_without_ctx():
    assert set(TOOL_TYPES) == set(BUILTIN_TOOLS)
    assert set(TOOL_TYPES.values()) <= set(Tool.Type.values)
    for name in BUILTIN_TOOLS:
        schema = builtin_schema(name)
        assert schema["name"] == name and schema["description"]
        properties = schema["parameters"]["properties"]
        assert "ctx" not in properties
        assert all(prop["description"] for prop in properties.values()), name


def test_schemas_match_the_reference_parameters():
    def params(name):
        schema = builtin_schema(name)["parameters"]
        return list(schema["properties"]), schema["required"]

    assert params("memory_replace") == (["label", "old_string", "new_string"], ["label", "old_string", "new_string"])
    assert params("memory_insert") == (["label", "new_string", "insert_line"], ["label", "new_string"])
    assert params("memory_rethink") == (["label", "new_memory"], ["label", "new_memory"])
    assert params("core_memory_replace")[0] == ["label", "old_content", "new_content"]
    assert params("archival_memory_search") == (
        ["query", "tags", "tag_match_mode", "top_k", "start_datetime", "end_datetime"],
        ["query"],
    )
    assert params("conversation_search") == (["query", "roles", "limit", "start_date", "end_date"], [])
    assert builtin_schema("archival_memory_search")["parameters"]["properties"]["tag_match_mode"]["enum"] == [
        "any",
        "all",
    ]


def test_schema_copies_are_independent():
    builtin_schema("send_message")["name"] = "changed"
    assert builtin_schema("send_message")["name"] == "send_message"


def test_defaults_per_agent_type_name_real_tools():
    assert set(BASE_TOOLS_BY_AGENT_TYPE) == set(AgentType.values)
    for names in [*BASE_TOOLS_BY_AGENT_TYPE.values(), BASE_TOOLS_WITH_SLEEPTIME]:
        assert set(names) <= set(BUILTIN_TOOLS)
    assert BASE_TOOLS_BY_AGENT_TYPE["letta_v1_agent"] == ["conversation_search", "memory_replace", "memory_insert"]
    assert TERMINAL_BY_DEFAULT <= set(BUILTIN_TOOLS) and NO_TRUNCATION <= set(BUILTIN_TOOLS)
