"""Tool rules: which tools an agent may call next, and what a call means for the loop.

Rules are stored on the agent as JSON dicts in Letta's shapes (`{"type": "exit_loop", "tool_name": ...}`).
`parse_rules` checks and types them; a `ToolRulesSolver` lives for one run (one request) and remembers the calls
made in it. Like Letta, every history-based rule (`run_first`, child and parent rules, `max_count_per_step`,
`required_before_exit`) therefore counts within the current request, despite the "per step" in the name.
"""

import json
from dataclasses import dataclass, field
from typing import Any, ClassVar

from accounts.errors import DomainError


class ToolRuleError(DomainError, ValueError):
    """A stored or submitted tool rule is malformed."""


@dataclass(slots=True, frozen=True)
class ToolRule:
    type: ClassVar[str] = ""
    tool_name: str
    prompt_template: str | None = None  # accepted for Letta compatibility; our prompt text is fixed


@dataclass(slots=True, frozen=True)
class InitToolRule(ToolRule):
    type: ClassVar[str] = "run_first"
    args: dict[str, Any] | None = None


@dataclass(slots=True, frozen=True)
class TerminalToolRule(ToolRule):
    type: ClassVar[str] = "exit_loop"


@dataclass(slots=True, frozen=True)
class ContinueToolRule(ToolRule):
    type: ClassVar[str] = "continue_loop"


@dataclass(slots=True, frozen=True)
class ChildToolRule(ToolRule):
    type: ClassVar[str] = "constrain_child_tools"
    children: tuple[str, ...] = ()
    # child name -> arguments to prefill when that child is called right after this tool (Letta's child_arg_nodes).
    child_args: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass(slots=True, frozen=True)
class ConditionalToolRule(ToolRule):
    type: ClassVar[str] = "conditional"
    child_output_mapping: dict[Any, str] = field(default_factory=dict)
    default_child: str | None = None
    require_output_mapping: bool = False


@dataclass(slots=True, frozen=True)
class ParentToolRule(ToolRule):
    type: ClassVar[str] = "parent_last_tool"
    children: tuple[str, ...] = ()


@dataclass(slots=True, frozen=True)
class MaxCountPerStepToolRule(ToolRule):
    type: ClassVar[str] = "max_count_per_step"
    max_count_limit: int = 1


@dataclass(slots=True, frozen=True)
class RequiredBeforeExitToolRule(ToolRule):
    type: ClassVar[str] = "required_before_exit"


@dataclass(slots=True, frozen=True)
class RequiresApprovalToolRule(ToolRule):
    type: ClassVar[str] = "requires_approval"


_CLASSES = {
    cls.type: cls
    for cls in (
        InitToolRule,
        TerminalToolRule,
        ContinueToolRule,
        ChildToolRule,
        ConditionalToolRule,
        ParentToolRule,
        MaxCountPerStepToolRule,
        RequiredBeforeExitToolRule,
        RequiresApprovalToolRule,
    )
}
# Every rule type, in the reference's order; the error for an unknown type lists them.
RULE_TYPES = tuple(_CLASSES)


# ------------------------------------------------------------------------------------------------- parsing


def parse_rules(raw: list[dict] | None) -> list[ToolRule]:
    """Typed rules from their stored JSON; raises ToolRuleError naming the rule and the field at fault."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise ToolRuleError("tool_rules must be a list of rule objects.")
    return [_parse_rule(i, item) for i, item in enumerate(raw)]


def _parse_rule(index: int, item) -> ToolRule:
    where = f"Tool rule {index}"
    if not isinstance(item, dict):
        raise ToolRuleError(f"{where} must be an object with 'type' and 'tool_name'.")
    kind = item.get("type")
    if kind not in _CLASSES:
        raise ToolRuleError(f"{where} has unknown type {kind!r}; valid types are: {', '.join(RULE_TYPES)}.")
    where = f"Tool rule {index} ({kind})"
    fields: dict[str, Any] = {"tool_name": _string(item, "tool_name", where)}
    if (template := item.get("prompt_template")) is not None:
        fields["prompt_template"] = str(template)
    if kind == "run_first":
        fields["args"] = _optional_dict(item, "args", where)
    elif kind == "constrain_child_tools":
        nodes = item.get("child_arg_nodes") or []
        if not isinstance(nodes, list) or not all(
            isinstance(n, dict) and isinstance(n.get("name"), str) for n in nodes
        ):
            raise ToolRuleError(f'{where}: \'child_arg_nodes\' must be a list of {{"name", "args"}} objects.')
        children = _names(item, "children", where, required=not nodes)
        extra = tuple(n["name"] for n in nodes if n["name"] not in children)
        fields["children"] = children + extra
        fields["child_args"] = {n["name"]: dict(n["args"]) for n in nodes if isinstance(n.get("args"), dict)}
    elif kind == "parent_last_tool":
        fields["children"] = _names(item, "children", where, required=True)
    elif kind == "conditional":
        mapping = item.get("child_output_mapping")
        if not isinstance(mapping, dict) or not mapping or not all(isinstance(v, str) for v in mapping.values()):
            raise ToolRuleError(
                f"{where}: 'child_output_mapping' must map output values to tool names (at least one entry)."
            )
        default = item.get("default_child")
        if default is not None and not isinstance(default, str):
            raise ToolRuleError(f"{where}: 'default_child' must be a tool name.")
        fields.update(
            child_output_mapping=dict(mapping),
            default_child=default,
            require_output_mapping=bool(item.get("require_output_mapping", False)),
        )
    elif kind == "max_count_per_step":
        limit = item.get("max_count_limit")
        if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
            raise ToolRuleError(f"{where}: 'max_count_limit' must be a positive integer.")
        fields["max_count_limit"] = limit
    return _CLASSES[kind](**fields)


def _string(item: dict, key: str, where: str) -> str:
    value = item.get(key)
    if not isinstance(value, str) or not value:
        raise ToolRuleError(f"{where}: '{key}' is required and must be a tool name.")
    return value


def _optional_dict(item: dict, key: str, where: str) -> dict | None:
    value = item.get(key)
    if value is not None and not isinstance(value, dict):
        raise ToolRuleError(f"{where}: '{key}' must be an object of argument values.")
    return dict(value) if value else None


def _names(item: dict, key: str, where: str, *, required: bool) -> tuple[str, ...]:
    value = item.get(key)
    if not required and not value:
        return ()
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v for v in value):
        raise ToolRuleError(f"{where}: '{key}' must be a non-empty list of tool names.")
    return tuple(value)


def merge_approval_rule(rules: list[dict], tool_name: str, requires_approval: bool) -> list[dict]:
    """A copy of `rules` with the tool's requires_approval rule added or removed (Letta keeps approval as a rule)."""

    def is_approval(rule) -> bool:
        return isinstance(rule, dict) and rule.get("type") == "requires_approval" and rule.get("tool_name") == tool_name

    if requires_approval and any(is_approval(r) for r in rules):
        return list(rules)
    kept = [r for r in rules if not is_approval(r)]
    if requires_approval:
        kept.append({"type": "requires_approval", "tool_name": tool_name})
    return kept


# ------------------------------------------------------------------------------------------------- solving


@dataclass(slots=True)
class _Decision:
    allowed: list[str]
    constrained: bool = False  # a run_first/child/conditional/parent rule narrowed the choice (not the fallback)
    blocked_by: str | None = None  # a strict conditional tool whose output matched nothing


@dataclass(slots=True)
class ToolRulesSolver:
    rules: list[ToolRule] = field(default_factory=list)
    # (tool name, its output message) for each call in this run, in order.
    history: list[tuple[str, str | None]] = field(default_factory=list)

    def record_call(self, name: str, output_message: str | None) -> None:
        self.history.append((name, output_message))

    def _of(self, cls: type[ToolRule], name: str | None = None) -> list:
        return [r for r in self.rules if isinstance(r, cls) and (name is None or r.tool_name == name)]

    def _count(self, name: str) -> int:
        return sum(1 for called, _ in self.history if called == name)

    def _exhausted(self) -> set[str]:
        return {r.tool_name for r in self._of(MaxCountPerStepToolRule) if self._count(r.tool_name) >= r.max_count_limit}

    def _decide(self, available: list[str]) -> _Decision:
        available = list(dict.fromkeys(available))
        exhausted = self._exhausted()
        if not self.history:
            first = [n for n in dict.fromkeys(r.tool_name for r in self._of(InitToolRule)) if n in available]
            if first:
                return _Decision(first, constrained=True)
        last, output = self.history[-1] if self.history else (None, None)
        # Letta intersects every rule's set: rules about the last tool narrow to their children, parent rules
        # hide their children unless the parent just ran, and exhausted tools drop out.
        narrowing: list[set[str]] = [set(r.children) for r in self._of(ChildToolRule, last)] if last else []
        hidden: set[str] = set(exhausted)
        for rule in self._of(ParentToolRule):
            if rule.tool_name == last:
                narrowing.append(set(rule.children))
            else:
                hidden |= set(rule.children)
        for rule in self._of(ConditionalToolRule, last) if last else []:
            child = _mapped_child(rule, output)
            if child is None and rule.require_output_mapping:
                # Strict rule, no mapped value matched (default_child doesn't apply, as in Letta): offer no
                # tool, so the model answers in text and the turn ends; check_call explains if it tries anyway.
                # Still-required tools stay callable, or the loop's "call X before exiting" could never be met.
                return _Decision(self.unmet_required_before_exit(available), blocked_by=rule.tool_name)
            if child := child or rule.default_child:
                narrowing.append({child})
        allowed = [n for n in available if n not in hidden and all(n in s for s in narrowing)]
        if allowed:
            return _Decision(allowed, constrained=bool(narrowing))
        # Contradictory rules or children that aren't attached: offer everything rather than strand the agent.
        return _Decision([n for n in available if n not in exhausted])

    def allowed_tools(self, available: list[str]) -> list[str]:
        """The tools to offer the model now, in `available` order; empty only after a strict conditional miss."""
        return self._decide(available).allowed

    def forced_tool(self, available: list[str]) -> str | None:
        """The tool to force through tool_choice: the only one a run_first or child-type rule leaves allowed."""
        decision = self._decide(available)
        return decision.allowed[0] if decision.constrained and len(decision.allowed) == 1 else None

    def prefilled_args(self, tool_name: str) -> dict | None:
        """Arguments a rule fixes for this call: a child node's args right after its parent, else run_first args."""
        last = self.history[-1][0] if self.history else None
        for rule in self._of(ChildToolRule, last) if last else []:
            if tool_name in rule.child_args:
                return dict(rule.child_args[tool_name])
        for rule in self._of(InitToolRule, tool_name):
            if rule.args:
                return dict(rule.args)
        return None

    def is_terminal(self, name: str) -> bool:
        return bool(self._of(TerminalToolRule, name))

    def is_continue(self, name: str) -> bool:
        return bool(self._of(ContinueToolRule, name))

    def requires_approval(self, name: str) -> bool:
        return bool(self._of(RequiresApprovalToolRule, name))

    def unmet_required_before_exit(self, available: list[str]) -> list[str]:
        called = {name for name, _ in self.history}
        required = dict.fromkeys(r.tool_name for r in self._of(RequiredBeforeExitToolRule))
        return [n for n in required if n in available and n not in called]

    def check_call(self, name: str, available: list[str]) -> str | None:
        """None when the rules allow calling `name` now, else the error text the model gets as the tool result."""
        decision = self._decide(available)
        if name in decision.allowed:
            return None
        if decision.blocked_by:
            return (
                f"[ToolConstraintError] Cannot call {name}: the output of {decision.blocked_by} matched none of the "
                "values its conditional rule maps, so no tool may be called after it. Reply without a tool call."
            )
        error = f"[ToolConstraintError] Cannot call {name}, valid tools include: [{', '.join(decision.allowed)}]."
        last = self.history[-1][0] if self.history else None
        hints = [describe(r) for r in self.rules if r.tool_name in (name, last) or name in getattr(r, "children", ())]
        hints = [h for h in dict.fromkeys(hints) if h]
        if hints:
            error += "\nHint: rules that apply here:\n" + "\n".join(f"- {h}" for h in hints)
        return error

    def render_for_prompt(self) -> str:
        """One line per rule, for the <tool_usage_rules> section of the system prompt ("" when there are none)."""
        return "\n".join(f"- {line}" for line in describe_rules(self.rules))


def describe_rules(rules: list[ToolRule]) -> list[str]:
    """The rules in words, each once, as the prompt's <tool_usage_rules> and the ADE's tool-rule editor show them."""
    return [line for line in dict.fromkeys(describe(r) for r in rules) if line]


def describe(rule: ToolRule) -> str:
    """One rule in words, addressed to the model (the prompt, and the hints of a ToolConstraintError)."""
    name = rule.tool_name
    match rule:
        case InitToolRule():
            return f"{name} must be called first, before any other tool"
        case TerminalToolRule():
            return f"{name} ends your response (yields control) when called"
        case ContinueToolRule():
            return f"{name} requires continuing your response when called"
        case ChildToolRule():
            return f"After using {name}, you must use one of these tools: {', '.join(rule.children)}"
        case ConditionalToolRule():
            cases = "; ".join(f"{key!s} -> {tool}" for key, tool in rule.child_output_mapping.items())
            otherwise = f"; otherwise {rule.default_child}" if rule.default_child else ""
            return f"{name} decides which tool to use next from its output ({cases}{otherwise})"
        case ParentToolRule():
            return f"{', '.join(rule.children)} can only be used right after {name}"
        case MaxCountPerStepToolRule():
            return f"{name}: max {rule.max_count_limit} use(s) per response"
        case RequiredBeforeExitToolRule():
            return f"{name} must be called before ending your response"
        case RequiresApprovalToolRule():
            return f"{name} waits for a person's approval before it runs"
    return ""


# ---------------------------------------------------------------------------------- conditional matching


def _mapped_child(rule: ConditionalToolRule, output: str | None) -> str | None:
    """The child named by the first mapping key the tool's output matches, if any."""
    if output is None:
        return None
    message = _output_message(output)
    return next((tool for key, tool in rule.child_output_mapping.items() if _matches(message, key)), None)


def _output_message(output: str) -> str:
    # Letta matches on the `message` of the packaged {"status", "message", "time"} return; accept that form too.
    try:
        packaged = json.loads(output)
    except ValueError:
        return output
    if isinstance(packaged, dict) and "message" in packaged and "status" in packaged:
        message = packaged["message"]
        return json.dumps(message) if isinstance(message, bool | None) else str(message)
    return output


def _matches(output: str, key) -> bool:
    """Compare like Letta: booleans case-insensitively, numbers by value, anything else as text.

    Stored mappings come from JSON, so keys are usually strings ("true", "3"); they are read the same way.
    """
    if str(key).strip() == output.strip():
        return True
    want, got = _typed(key), _typed(output)
    if isinstance(want, bool) or isinstance(got, bool):
        return isinstance(want, bool) and isinstance(got, bool) and want == got
    if isinstance(want, int | float) and isinstance(got, int | float):
        return want == got
    return isinstance(got, str) and got == str(key)  # a JSON-quoted string output


def _typed(value):
    if not isinstance(value, str):
        return value
    text = value.strip()
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    for convert in (int, float):
        try:
            return convert(text)
        except ValueError:
            pass
    try:
        parsed = json.loads(text)
    except ValueError:
        return text
    return parsed if isinstance(parsed, str) else text
