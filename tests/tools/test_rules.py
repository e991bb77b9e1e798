import json

import pytest

from tools.rules import (
    RULE_TYPES,
    ChildToolRule,
    ConditionalToolRule,
    InitToolRule,
    ToolRuleError,
    ToolRulesSolver,
    merge_approval_rule,
    parse_rules,
)

TOOLS = ["start", "search", "fetch", "summarize", "send_message"]


def solver(*rules: dict) -> ToolRulesSolver:
    return ToolRulesSolver(parse_rules(list(rules)))


# ------------------------------------------------------------------------------------------------- parsing


def test_parse_every_type_and_ignore_extra_keys():
    raw = [
        {"type": "run_first", "tool_name": "start", "args": {"q": "hi"}, "prompt_template": "x", "id": "r1"},
        {"type": "exit_loop", "tool_name": "send_message"},
        {"type": "continue_loop", "tool_name": "search"},
        {"type": "constrain_child_tools", "tool_name": "start", "children": ["search"]},
        {"type": "conditional", "tool_name": "fetch", "child_output_mapping": {"ok": "summarize"}},
        {"type": "parent_last_tool", "tool_name": "search", "children": ["fetch"]},
        {"type": "max_count_per_step", "tool_name": "search", "max_count_limit": 2},
        {"type": "required_before_exit", "tool_name": "summarize"},
        {"type": "requires_approval", "tool_name": "fetch"},
    ]
    rules = parse_rules(raw)
    assert [r.type for r in rules] == [rule["type"] for rule in raw] == list(RULE_TYPES)
    assert rules[0] == InitToolRule(tool_name="start", prompt_template="x", args={"q": "hi"})
    assert rules[3] == ChildToolRule(tool_name="start", children=("search",))
    assert isinstance(rules[4], ConditionalToolRule) and rules[4].default_child is None
    assert parse_rules(None) == [] and parse_rules([]) == []


def test_unknown_type_lists_valid_types():
    with pytest.raises(ToolRuleError, match=r"Tool rule 0 has unknown type 'first'; valid types are: run_first, "):
        parse_rules([{"type": "first", "tool_name": "x"}])


@pytest.mark.parametrize(
    "rule, fragment",
    [
        ({"type": "exit_loop"}, "'tool_name' is required"),
        ({"type": "constrain_child_tools", "tool_name": "a"}, "'children' must be a non-empty list"),
        ({"type": "parent_last_tool", "tool_name": "a", "children": []}, "'children' must be a non-empty list"),
        ({"type": "conditional", "tool_name": "a", "child_output_mapping": {}}, "'child_output_mapping' must map"),
        ({"type": "conditional", "tool_name": "a"}, "'child_output_mapping' must map"),
        ({"type": "max_count_per_step", "tool_name": "a"}, "'max_count_limit' must be a positive integer"),
        ({"type": "max_count_per_step", "tool_name": "a", "max_count_limit": 0}, "positive integer"),
        ({"type": "run_first", "tool_name": "a", "args": "x"}, "'args' must be an object"),
        ("exit_loop", "must be an object"),
    ],
)
def test_missing_or_bad_fields(rule, fragment):
    with pytest.raises(ToolRuleError, match=fragment):
        parse_rules([{"type": "exit_loop", "tool_name": "ok"}, rule])


def test_rules_must_be_a_list():
    with pytest.raises(ToolRuleError, match="must be a list"):
        parse_rules({"type": "exit_loop"})


# ------------------------------------------------------------------------------------------ allowed tools


def test_no_rules_allows_everything_and_forces_nothing():
    s = solver()
    assert s.allowed_tools(TOOLS) == TOOLS
    assert s.forced_tool(["search"]) is None  # a lone tool is not forced: the model may still reply in text
    assert s.check_call("fetch", TOOLS) is None
    assert s.render_for_prompt() == ""


def test_run_first_only_before_first_call_and_prefilled_args():
    s = solver({"type": "run_first", "tool_name": "start", "args": {"q": "hello"}})
    assert s.allowed_tools(TOOLS) == ["start"]
    assert s.forced_tool(TOOLS) == "start"
    assert s.prefilled_args("start") == {"q": "hello"}
    assert s.prefilled_args("search") is None
    s.record_call("start", "ok")
    assert s.allowed_tools(TOOLS) == TOOLS
    assert s.forced_tool(TOOLS) is None


def test_several_run_first_rules_offer_all_of_them_without_forcing():
    s = solver({"type": "run_first", "tool_name": "search"}, {"type": "run_first", "tool_name": "start"})
    assert s.allowed_tools(TOOLS) == ["search", "start"]
    assert s.forced_tool(TOOLS) is None


def test_run_first_tool_not_attached_is_ignored():
    s = solver({"type": "run_first", "tool_name": "missing"})
    assert s.allowed_tools(TOOLS) == TOOLS


def test_child_rule_narrows_after_parent_call():
    s = solver({"type": "constrain_child_tools", "tool_name": "search", "children": ["fetch", "summarize"]})
    s.record_call("search", "3 hits")
    assert s.allowed_tools(TOOLS) == ["fetch", "summarize"]
    assert s.forced_tool(TOOLS) is None
    s.record_call("fetch", "page")
    assert s.allowed_tools(TOOLS) == TOOLS


def test_single_child_is_forced():
    s = solver({"type": "constrain_child_tools", "tool_name": "search", "children": ["fetch"]})
    s.record_call("search", None)
    assert s.forced_tool(TOOLS) == "fetch"


def test_child_arg_nodes_prefill_the_child_right_after_the_parent():
    s = solver(
        {
            "type": "constrain_child_tools",
            "tool_name": "search",
            "children": [],
            "child_arg_nodes": [{"name": "fetch", "args": {"url": "https://x"}}],
        }
    )
    assert s.prefilled_args("fetch") is None
    s.record_call("search", None)
    assert s.allowed_tools(TOOLS) == ["fetch"]
    assert s.prefilled_args("fetch") == {"url": "https://x"}


def test_children_not_attached_fall_back_to_all():
    s = solver({"type": "constrain_child_tools", "tool_name": "search", "children": ["gone"]})
    s.record_call("search", None)
    assert s.allowed_tools(TOOLS) == TOOLS
    assert s.forced_tool(TOOLS) is None


def test_parent_last_tool_hides_children_until_parent_just_ran():
    s = solver({"type": "parent_last_tool", "tool_name": "search", "children": ["fetch"]})
    assert s.allowed_tools(TOOLS) == ["start", "search", "summarize", "send_message"]
    s.record_call("search", None)
    assert s.allowed_tools(TOOLS) == ["fetch"]
    assert s.forced_tool(TOOLS) == "fetch"
    s.record_call("fetch", None)
    assert "fetch" not in s.allowed_tools(TOOLS)


def test_max_count_counts_calls_in_the_run():
    s = solver({"type": "max_count_per_step", "tool_name": "search", "max_count_limit": 2})
    s.record_call("search", None)
    assert "search" in s.allowed_tools(TOOLS)
    s.record_call("fetch", None)
    s.record_call("search", None)
    assert s.allowed_tools(TOOLS) == ["start", "fetch", "summarize", "send_message"]
    assert s.forced_tool(TOOLS) is None
    # A new run starts a new solver, and with it a fresh count.
    assert "search" in solver(
        {"type": "max_count_per_step", "tool_name": "search", "max_count_limit": 2}
    ).allowed_tools(TOOLS)


def test_empty_intersection_offers_all_minus_exhausted():
    s = solver(
        {"type": "constrain_child_tools", "tool_name": "search", "children": ["search"]},
        {"type": "max_count_per_step", "tool_name": "search", "max_count_limit": 1},
    )
    s.record_call("search", None)
    assert s.allowed_tools(TOOLS) == ["start", "fetch", "summarize", "send_message"]
    assert s.forced_tool(TOOLS) is None


def test_combined_child_rules_intersect():
    s = solver(
        {"type": "constrain_child_tools", "tool_name": "search", "children": ["fetch", "summarize"]},
        {"type": "constrain_child_tools", "tool_name": "search", "children": ["summarize", "send_message"]},
        {"type": "exit_loop", "tool_name": "send_message"},
    )
    s.record_call("search", None)
    assert s.allowed_tools(TOOLS) == ["summarize"]
    assert s.forced_tool(TOOLS) == "summarize"


def test_init_then_child_chain():
    s = solver(
        {"type": "run_first", "tool_name": "start"},
        {"type": "constrain_child_tools", "tool_name": "start", "children": ["search"]},
        {"type": "constrain_child_tools", "tool_name": "search", "children": ["summarize"]},
    )
    assert s.forced_tool(TOOLS) == "start"
    s.record_call("start", None)
    assert s.forced_tool(TOOLS) == "search"
    s.record_call("search", None)
    assert s.forced_tool(TOOLS) == "summarize"
    s.record_call("summarize", None)
    assert s.forced_tool(TOOLS) is None


# ------------------------------------------------------------------------------------------- conditional


def conditional(**extra) -> ToolRulesSolver:
    return solver({"type": "conditional", "tool_name": "fetch", **extra})


@pytest.mark.parametrize(
    "mapping, output, expected",
    [
        ({"true": "summarize", "false": "search"}, "True", "summarize"),
        ({"true": "summarize", "false": "search"}, "false", "search"),
        ({True: "summarize"}, "true", "summarize"),
        ({"3": "summarize", "4": "search"}, "4", "search"),
        ({"1": "summarize"}, "1.0", "summarize"),
        ({"2.5": "summarize"}, "2.50", "summarize"),
        ({"done": "summarize", "retry": "search"}, "retry", "search"),
        ({"done": "summarize"}, '"done"', "summarize"),
        ({"1": "summarize", "true": "search"}, "true", "search"),  # a boolean never equals a number
    ],
)
def test_conditional_maps_output_to_child(mapping, output, expected):
    s = conditional(child_output_mapping=mapping)
    s.record_call("fetch", output)
    assert s.allowed_tools(TOOLS) == [expected]
    assert s.forced_tool(TOOLS) == expected


def test_conditional_reads_packaged_tool_return_message():
    s = conditional(child_output_mapping={"true": "summarize"})
    s.record_call("fetch", json.dumps({"status": "OK", "message": "True", "time": "now"}))
    assert s.allowed_tools(TOOLS) == ["summarize"]


def test_conditional_without_match_uses_default_then_anything():
    s = conditional(child_output_mapping={"yes": "summarize"}, default_child="search")
    s.record_call("fetch", "no")
    assert s.allowed_tools(TOOLS) == ["search"]
    s = conditional(child_output_mapping={"yes": "summarize"})
    s.record_call("fetch", "no")
    assert s.allowed_tools(TOOLS) == TOOLS
    s = conditional(child_output_mapping={"yes": "summarize"})
    s.record_call("fetch", None)
    assert s.allowed_tools(TOOLS) == TOOLS


def test_strict_conditional_without_match_allows_no_tool():
    s = conditional(child_output_mapping={"yes": "summarize"}, default_child="search", require_output_mapping=True)
    s.record_call("fetch", "maybe")
    assert s.allowed_tools(TOOLS) == []
    assert s.forced_tool(TOOLS) is None
    error = s.check_call("search", TOOLS)
    assert error.startswith("[ToolConstraintError] Cannot call search: the output of fetch matched none")


def test_strict_conditional_miss_keeps_required_before_exit_tools_callable():
    s = solver(
        {
            "type": "conditional",
            "tool_name": "fetch",
            "child_output_mapping": {"yes": "search"},
            "require_output_mapping": True,
        },
        {"type": "required_before_exit", "tool_name": "summarize"},
    )
    s.record_call("fetch", "maybe")
    assert s.allowed_tools(TOOLS) == ["summarize"]
    assert s.check_call("summarize", TOOLS) is None
    assert s.check_call("search", TOOLS).startswith("[ToolConstraintError] Cannot call search: the output of fetch")


# ------------------------------------------------------------------------------------ check_call and hints


def test_check_call_error_lists_valid_tools_and_hints():
    s = solver(
        {"type": "constrain_child_tools", "tool_name": "search", "children": ["fetch", "summarize"]},
        {"type": "exit_loop", "tool_name": "send_message"},
    )
    s.record_call("search", None)
    assert s.check_call("fetch", TOOLS) is None
    error = s.check_call("send_message", TOOLS)
    assert error.splitlines()[0] == (
        "[ToolConstraintError] Cannot call send_message, valid tools include: [fetch, summarize]."
    )
    assert "- After using search, you must use one of these tools: fetch, summarize" in error
    assert "- send_message ends your response (yields control) when called" in error


def test_check_call_rejects_exhausted_tool():
    s = solver({"type": "max_count_per_step", "tool_name": "search", "max_count_limit": 1})
    s.record_call("search", None)
    assert "Cannot call search" in s.check_call("search", TOOLS)
    assert "max 1 use(s) per response" in s.check_call("search", TOOLS)


# ------------------------------------------------------------------------------------ loop-facing flags


def test_terminal_continue_and_approval_flags():
    s = solver(
        {"type": "exit_loop", "tool_name": "send_message"},
        {"type": "continue_loop", "tool_name": "search"},
        {"type": "requires_approval", "tool_name": "fetch"},
    )
    assert s.is_terminal("send_message") and not s.is_terminal("search")
    assert s.is_continue("search") and not s.is_continue("send_message")
    assert s.requires_approval("fetch") and not s.requires_approval("search")
    # Flags don't constrain what may be called.
    assert s.allowed_tools(TOOLS) == TOOLS


def test_required_before_exit_tracks_calls_and_availability():
    s = solver(
        {"type": "required_before_exit", "tool_name": "summarize"},
        {"type": "required_before_exit", "tool_name": "fetch"},
        {"type": "required_before_exit", "tool_name": "detached"},
    )
    assert s.unmet_required_before_exit(TOOLS) == ["summarize", "fetch"]
    s.record_call("fetch", None)
    assert s.unmet_required_before_exit(TOOLS) == ["summarize"]
    s.record_call("summarize", None)
    assert s.unmet_required_before_exit(TOOLS) == []


def test_render_for_prompt_one_line_per_rule():
    s = solver(
        {"type": "run_first", "tool_name": "start"},
        {"type": "exit_loop", "tool_name": "send_message"},
        {"type": "continue_loop", "tool_name": "search"},
        {"type": "constrain_child_tools", "tool_name": "start", "children": ["search", "fetch"]},
        {
            "type": "conditional",
            "tool_name": "fetch",
            "child_output_mapping": {"ok": "summarize"},
            "default_child": "search",
        },
        {"type": "parent_last_tool", "tool_name": "search", "children": ["fetch"]},
        {"type": "max_count_per_step", "tool_name": "search", "max_count_limit": 3},
        {"type": "required_before_exit", "tool_name": "summarize"},
        {"type": "requires_approval", "tool_name": "fetch"},
        {"type": "exit_loop", "tool_name": "send_message"},  # duplicates render once
    )
    assert s.render_for_prompt().splitlines() == [
        "- start must be called first, before any other tool",
        "- send_message ends your response (yields control) when called",
        "- search requires continuing your response when called",
        "- After using start, you must use one of these tools: search, fetch",
        "- fetch decides which tool to use next from its output (ok -> summarize; otherwise search)",
        "- fetch can only be used right after search",
        "- search: max 3 use(s) per response",
        "- summarize must be called before ending your response",
        "- fetch waits for a person's approval before it runs",
    ]


# ------------------------------------------------------------------------------------ approval helper


def test_merge_approval_rule_adds_once_and_removes():
    base = [{"type": "exit_loop", "tool_name": "send_message"}]
    added = merge_approval_rule(base, "fetch", True)
    assert added == [*base, {"type": "requires_approval", "tool_name": "fetch"}]
    assert base == [{"type": "exit_loop", "tool_name": "send_message"}]  # input untouched
    assert merge_approval_rule(added, "fetch", True) == added
    assert merge_approval_rule(added, "fetch", False) == base
    assert merge_approval_rule(added, "search", False) == added
