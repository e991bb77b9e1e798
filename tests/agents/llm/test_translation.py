"""Pure translation between our types and each wire format: no server, no SDK calls."""

from __future__ import annotations

import json

import pytest

from agents.llm import ChatMessage, LLMRequest, ToolCall, ToolSpec, Usage
from agents.llm import anthropic_format as anth
from agents.llm import openai_format as oai
from agents.llm.errors import UnusableReply

from .helpers import WEATHER

CALL = ToolCall("call_1", "get_weather", '{"city": "Paris"}')


def request(**kw) -> LLMRequest:
    kw.setdefault("messages", [ChatMessage("user", "hi")])
    return LLMRequest(model=kw.pop("model", "m"), **kw)


# ------------------------------------------------------------------------------------------- OpenAI request


def test_openai_messages_by_role():
    wire = [
        oai.message_to_wire(m)
        for m in [
            ChatMessage("system", "be nice"),
            ChatMessage("user", "weather?", name="ada"),
            ChatMessage("assistant", None, tool_calls=[CALL], reasoning="hmm", reasoning_signature="sig"),
            ChatMessage("tool", "sunny", tool_call_id="call_1", name="get_weather"),
            ChatMessage("assistant", None),
        ]
    ]
    assert wire == [
        {"role": "system", "content": "be nice"},
        {"role": "user", "content": "weather?"},
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": "sunny"},
        {"role": "assistant", "content": ""},
    ]


def test_openai_params_without_tools_send_no_tool_fields_and_no_unset_options():
    params = oai.build_params(request())
    assert params == {"model": "m", "messages": [{"role": "user", "content": "hi"}]}


@pytest.mark.parametrize(
    "choice, wire",
    [
        ("auto", "auto"),
        ("required", "required"),
        ("none", "none"),
        ("get_weather", {"type": "function", "function": {"name": "get_weather"}}),
    ],
)
def test_openai_tools_and_tool_choice(choice, wire):
    params = oai.build_params(request(tools=[WEATHER], tool_choice=choice, parallel_tool_calls=True))
    assert params["tools"] == [
        {
            "type": "function",
            "function": {"name": "get_weather", "description": "Weather for a city.", "parameters": WEATHER.parameters},
        }
    ]
    assert params["tool_choice"] == wire
    assert params["parallel_tool_calls"] is True


def test_openai_empty_parameters_become_an_empty_object_schema():
    tool = oai.tool_to_wire(ToolSpec("ping", "", {}))
    assert tool["function"]["parameters"] == {"type": "object", "properties": {}}


def test_openai_max_tokens_and_temperature_only_when_set():
    params = oai.build_params(request(max_tokens=50, temperature=0.2))
    assert (params["max_tokens"], params["temperature"]) == (50, 0.2)
    assert "max_completion_tokens" not in params


def test_openai_official_api_uses_max_completion_tokens_and_drops_temperature_for_reasoning_models():
    params = oai.build_params(request(model="o3-mini", max_tokens=50, temperature=0.2), official_api=True)
    assert params["max_completion_tokens"] == 50
    assert "max_tokens" not in params and "temperature" not in params
    assert oai.build_params(request(model="gpt-4.1", temperature=0.2), official_api=True)["temperature"] == 0.2


# ------------------------------------------------------------------------------------------- OpenAI response


def test_openai_parse_completion_with_reasoning_tool_calls_and_usage_details():
    data = {
        "model": "served-model",
        "choices": [
            {
                "index": 0,
                "finish_reason": "tool_calls",
                "message": {
                    "role": "assistant",
                    "content": "",
                    "reasoning_content": "thinking...",
                    "tool_calls": [
                        {"id": "c1", "type": "function", "function": {"name": "f", "arguments": '{"a":1}'}},
                        {"type": "function", "function": {"name": "g", "arguments": ""}},
                    ],
                },
            }
        ],
        "usage": {
            "prompt_tokens": 100,
            "completion_tokens": 20,
            "total_tokens": 120,
            "prompt_tokens_details": {"cached_tokens": 64},
            "completion_tokens_details": {"reasoning_tokens": 12},
        },
    }
    resp = oai.parse_completion(data, requested_model="m")
    assert resp.content is None
    assert resp.reasoning == "thinking..."
    assert [(c.id, c.name, c.arguments) for c in resp.tool_calls][0] == ("c1", "f", '{"a":1}')
    assert resp.tool_calls[1].id.startswith("call_") and resp.tool_calls[1].arguments == "{}"
    assert resp.finish_reason == "tool_calls"
    assert resp.model == "served-model"
    assert resp.usage == Usage(
        prompt_tokens=100, completion_tokens=20, total_tokens=120, cached_input_tokens=64, reasoning_tokens=12
    )
    assert resp.raw is data


@pytest.mark.parametrize(
    "reason, has_calls, expected",
    [
        ("stop", False, "stop"),
        ("length", False, "length"),
        ("tool_calls", True, "tool_calls"),
        ("stop", True, "tool_calls"),  # Ollama says "stop" next to tool calls
        (None, False, "stop"),
        (None, True, "tool_calls"),
        ("content_filter", False, "stop"),
        ("length", True, "length"),
    ],
)
def test_openai_finish_reason(reason, has_calls, expected):
    assert oai.finish_reason(reason, has_calls) == expected


def test_openai_missing_usage_is_not_reported():
    resp = oai.parse_completion({"choices": [{"message": {"content": "hi"}}]}, requested_model="m")
    assert resp.usage.reported is False and resp.usage.prompt_tokens == 0
    assert resp.model == "m" and resp.finish_reason == "stop"


def test_openai_legacy_function_call_and_reasoning_key():
    data = {
        "choices": [{"message": {"content": None, "reasoning": "r", "function_call": {"name": "f", "arguments": "{}"}}}]
    }
    resp = oai.parse_completion(data, requested_model="m")
    assert [(c.name, c.arguments) for c in resp.tool_calls] == [("f", "{}")]
    assert resp.reasoning == "r"


def test_openai_response_without_choices_is_invalid():
    with pytest.raises(UnusableReply, match="no choices"):
        oai.parse_completion({"id": "x", "object": "chat.completion"}, requested_model="m")


def chunk(delta=None, finish=None, **extra):
    return {"choices": [{"index": 0, "delta": delta or {}, "finish_reason": finish}], **extra}


def test_openai_stream_assembly_tolerates_local_server_quirks():
    asm = oai.StreamAssembler("m")
    deltas = []
    for c in [
        {"choices": []},  # keep-alive / usage-only chunks
        chunk({"role": "assistant", "content": ""}),
        chunk({"reasoning": "let me "}),
        chunk({"reasoning_content": "see"}),
        chunk({"content": "Hel"}),
        chunk({"content": "lo"}),
        # no id, name in the first piece, arguments spread over chunks
        chunk({"tool_calls": [{"index": 0, "function": {"name": "f", "arguments": '{"a"'}}]}),
        chunk({"tool_calls": [{"index": 0, "function": {"arguments": ": 1}"}}]}),
        # a second call without an index, arguments sent as an object
        chunk({"tool_calls": [{"id": "x2", "function": {"name": "g", "arguments": {"b": 2}}}]}),
        chunk(finish="stop"),  # "stop" although it called tools
    ]:  # and no usage
        deltas += asm.feed(c)
    resp = asm.result()
    assert [d.text for d in deltas if d.kind == "reasoning"] == ["let me ", "see"]
    assert [d.text for d in deltas if d.kind == "content"] == ["Hel", "lo"]
    tool = [d for d in deltas if d.kind == "tool_call"]
    assert [(d.tool_call_index, d.tool_name, d.text) for d in tool] == [
        (0, "f", '{"a"'),
        (0, None, ": 1}"),
        (1, "g", '{"b": 2}'),
    ]
    assert tool[0].tool_call_id == resp.tool_calls[0].id and tool[0].tool_call_id.startswith("call_")
    assert tool[1].tool_call_id is None and tool[2].tool_call_id == "x2"
    assert resp.content == "Hello" and resp.reasoning == "let me see"
    assert [(c.name, c.arguments) for c in resp.tool_calls] == [("f", '{"a": 1}'), ("g", '{"b": 2}')]
    assert resp.finish_reason == "tool_calls"
    assert resp.usage.reported is False


def test_openai_stream_name_arriving_after_the_id():
    asm = oai.StreamAssembler("m")
    first = asm.feed(chunk({"tool_calls": [{"index": 0, "id": "c", "function": {"arguments": ""}}]}))
    second = asm.feed(chunk({"tool_calls": [{"index": 0, "function": {"name": "f", "arguments": "{}"}}]}, "tool_calls"))
    assert [(d.tool_call_id, d.tool_name, d.text) for d in first + second] == [("c", None, ""), (None, "f", "{}")]
    assert asm.result().tool_calls == [ToolCall("c", "f", "{}")]


def test_openai_stream_usage_and_model_from_final_chunk():
    asm = oai.StreamAssembler("m")
    asm.feed(chunk({"content": "x"}, finish="length", model="served"))
    asm.feed({"choices": [], "usage": {"prompt_tokens": 5, "completion_tokens": 1, "total_tokens": 6}})
    resp = asm.result()
    assert (resp.finish_reason, resp.model, resp.usage.total_tokens, resp.usage.reported) == (
        "length",
        "served",
        6,
        True,
    )


# ------------------------------------------------------------------------------------------- Anthropic request


def test_anthropic_system_merging_tool_results_and_thinking_replay():
    system, wire = anth.messages_to_wire(
        [
            ChatMessage("system", "You are helpful."),
            ChatMessage("system", "Memory: likes tea."),
            ChatMessage("user", "Weather in Paris and Rome?"),
            ChatMessage("user", "Quickly."),
            ChatMessage(
                "assistant",
                "Checking.",
                tool_calls=[CALL, ToolCall("call.2", "get_weather", '{"city":"Rome"}')],
                reasoning="two cities",
                reasoning_signature="sig",
            ),
            ChatMessage("tool", "sunny", tool_call_id="call_1"),
            ChatMessage("tool", "rainy", tool_call_id="call.2"),
            ChatMessage("user", "Thanks"),
            ChatMessage("assistant", "", reasoning="no signature, not replayed"),
        ]
    )
    assert system == "You are helpful.\n\nMemory: likes tea."
    assert wire == [
        {
            "role": "user",
            "content": [{"type": "text", "text": "Weather in Paris and Rome?"}, {"type": "text", "text": "Quickly."}],
        },
        {
            "role": "assistant",
            "content": [
                {"type": "thinking", "thinking": "two cities", "signature": "sig"},
                {"type": "text", "text": "Checking."},
                {"type": "tool_use", "id": "call_1", "name": "get_weather", "input": {"city": "Paris"}},
                {"type": "tool_use", "id": "call_2", "name": "get_weather", "input": {"city": "Rome"}},
            ],
        },
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": "call_1", "content": "sunny"},
                {"type": "tool_result", "tool_use_id": "call_2", "content": "rainy"},
                {"type": "text", "text": "Thanks"},
            ],
        },
    ]


def test_anthropic_conversation_opening_with_the_agent_gets_a_user_turn_first():
    _, wire = anth.messages_to_wire([ChatMessage("assistant", "Hello!"), ChatMessage("user", "hi")])
    assert wire[0] == {"role": "user", "content": [{"type": "text", "text": anth.CONVERSATION_START}]}
    assert [m["role"] for m in wire] == ["user", "assistant", "user"]


@pytest.mark.parametrize(
    "arguments, expected",
    [
        ('{"a": 1}', {"a": 1}),
        ("", {}),
        ("  ", {}),
        ('{"a": 1', {"raw": '{"a": 1'}),
        ("[1, 2]", {"raw": "[1, 2]"}),
    ],
)
def test_anthropic_tool_input_from_arguments(arguments, expected):
    assert anth.tool_input(arguments) == expected


@pytest.mark.parametrize(
    "choice, parallel, wire",
    [
        ("auto", False, {"type": "auto", "disable_parallel_tool_use": True}),
        ("auto", True, {"type": "auto"}),
        ("required", False, {"type": "any", "disable_parallel_tool_use": True}),
        ("none", False, {"type": "none"}),
        ("get_weather", True, {"type": "tool", "name": "get_weather"}),
    ],
)
def test_anthropic_tool_choice(choice, parallel, wire):
    assert anth.tool_choice_to_wire(choice, parallel) == wire


def test_anthropic_params():
    params = anth.build_params(request(temperature=0.7, tools=[WEATHER, ToolSpec("ping", "Ping.", {})]))
    assert params["max_tokens"] == anth.DEFAULT_MAX_TOKENS
    assert "temperature" not in params and "system" not in params
    assert params["tools"] == [
        {"name": "get_weather", "description": "Weather for a city.", "input_schema": WEATHER.parameters},
        {"name": "ping", "description": "Ping.", "input_schema": {"type": "object", "properties": {}}},
    ]
    assert params["tool_choice"] == {"type": "auto", "disable_parallel_tool_use": True}
    bare = anth.build_params(request(max_tokens=99, tool_choice="required"))
    assert bare["max_tokens"] == 99 and "tools" not in bare and "tool_choice" not in bare


# ------------------------------------------------------------------------------------------- Anthropic response


def test_anthropic_parse_message():
    data = {
        "model": "claude-x",
        "stop_reason": "tool_use",
        "content": [
            {"type": "thinking", "thinking": "hmm", "signature": "sig"},
            {"type": "text", "text": "Let me "},
            {"type": "text", "text": "check."},
            {"type": "tool_use", "id": "toolu_1", "name": "f", "input": {"a": [1, 2]}},
        ],
        "usage": {
            "input_tokens": 10,
            "output_tokens": 7,
            "cache_read_input_tokens": 100,
            "cache_creation_input_tokens": 20,
            "output_tokens_details": {"thinking_tokens": 3},
        },
    }
    resp = anth.parse_message(data, requested_model="m")
    assert (resp.content, resp.reasoning, resp.reasoning_signature) == ("Let me check.", "hmm", "sig")
    assert resp.tool_calls == [ToolCall("toolu_1", "f", json.dumps({"a": [1, 2]}))]
    assert resp.finish_reason == "tool_calls" and resp.model == "claude-x"
    assert resp.usage == Usage(
        prompt_tokens=130,
        completion_tokens=7,
        total_tokens=137,
        cached_input_tokens=100,
        cache_write_tokens=20,
        reasoning_tokens=3,
    )


@pytest.mark.parametrize(
    "stop, has_calls, expected",
    [
        ("end_turn", False, "stop"),
        ("stop_sequence", False, "stop"),
        ("tool_use", True, "tool_calls"),
        ("max_tokens", False, "length"),
        ("model_context_window_exceeded", False, "length"),
        ("refusal", False, "stop"),
        ("pause_turn", False, "stop"),
        (None, True, "tool_calls"),
    ],
)
def test_anthropic_finish_reason(stop, has_calls, expected):
    assert anth.finish_reason(stop, has_calls) == expected


def test_anthropic_stream_assembly_matches_the_whole_message():
    events = [
        {"type": "message_start", "message": {"model": "claude-x", "usage": {"input_tokens": 10, "output_tokens": 1}}},
        {"type": "content_block_start", "index": 0, "content_block": {"type": "thinking", "thinking": ""}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "thinking_delta", "thinking": "hm"}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "signature_delta", "signature": "sig"}},
        {"type": "content_block_stop", "index": 0},
        {"type": "content_block_start", "index": 1, "content_block": {"type": "text", "text": ""}},
        {"type": "content_block_delta", "index": 1, "delta": {"type": "text_delta", "text": "Hi "}},
        {"type": "content_block_delta", "index": 1, "delta": {"type": "text_delta", "text": "there"}},
        {
            "type": "content_block_start",
            "index": 2,
            "content_block": {"type": "tool_use", "id": "toolu_1", "name": "f", "input": {}},
        },
        {"type": "content_block_delta", "index": 2, "delta": {"type": "input_json_delta", "partial_json": '{"a":'}},
        {"type": "content_block_delta", "index": 2, "delta": {"type": "input_json_delta", "partial_json": "1}"}},
        {
            "type": "content_block_start",
            "index": 3,
            "content_block": {"type": "tool_use", "id": "toolu_2", "name": "g", "input": {}},
        },
        {"type": "message_delta", "delta": {"stop_reason": "tool_use"}, "usage": {"output_tokens": 9}},
        {"type": "message_stop"},
    ]
    asm = anth.StreamAssembler("m")
    deltas = [d for e in events for d in asm.feed(e)]
    assert [(d.kind, d.text) for d in deltas if d.kind != "tool_call"] == [
        ("reasoning", "hm"),
        ("content", "Hi "),
        ("content", "there"),
    ]
    tool = [(d.tool_call_index, d.tool_call_id, d.tool_name, d.text) for d in deltas if d.kind == "tool_call"]
    assert tool == [(0, "toolu_1", "f", ""), (0, None, None, '{"a":'), (0, None, None, "1}"), (1, "toolu_2", "g", "")]
    resp = asm.result()
    assert resp.tool_calls == [ToolCall("toolu_1", "f", json.dumps({"a": 1})), ToolCall("toolu_2", "g", "{}")]
    assert (resp.content, resp.reasoning, resp.reasoning_signature) == ("Hi there", "hm", "sig")
    assert (resp.finish_reason, resp.model) == ("tool_calls", "claude-x")
    assert (resp.usage.prompt_tokens, resp.usage.completion_tokens, resp.usage.total_tokens) == (10, 9, 19)
