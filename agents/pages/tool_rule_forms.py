"""The tool-rule editor's forms: one row per stored rule, and a blank row to add one.

A row holds the fields of every rule type (CSS shows those of the chosen type); `rule_of` keeps the ones the type
uses and builds the rule's JSON in Letta's shape. Whether that JSON is a valid rule is `tools.rules.parse_rules`'
call, reached through `agents.services.update_agent`, so the editor and PATCH /v1/agents/{id} refuse the same
rules with the same message. Approval rules are not rows here: the tools table toggles them.
"""

import json
from html import escape

from django import forms
from django.forms.utils import flatatt
from django.utils.safestring import mark_safe

from agents.pages.agent_forms import json_object
from letta_project.limits import parse_json

TYPE_LABELS = {
    "run_first": "Run first",
    "exit_loop": "Terminal: ends the turn",
    "continue_loop": "Continue: the turn goes on",
    "constrain_child_tools": "Child tools: only these may follow",
    "parent_last_tool": "Parent: its children only right after it",
    "conditional": "Conditional: its output picks the next tool",
    "max_count_per_step": "Max count per step",
    "required_before_exit": "Required before exit",
}
APPROVAL = "requires_approval"
# Keys a row has no control for, carried over from the stored rule so that saving the editor loses nothing.
_KEPT = {"prompt_template", "child_arg_nodes"}


class QuickSelect(forms.Select):
    """A select rendered in Python. Each row offers every tool of the agent in three controls; with Django's
    template (and option dict) per option, a panel of 50 tools and 20 rules took most of a second to render."""

    def render(self, name, value, attrs=None, renderer=None):
        chosen = set(self.format_value(value))
        options = "".join(
            f'<option value="{escape(str(v))}"{" selected" if str(v) in chosen else ""}>{escape(str(label))}</option>'
            for v, label in self.choices
        )
        return mark_safe(
            f'<select name="{escape(name)}"{flatatt(self.build_attrs(self.attrs, attrs))}>{options}</select>'
        )


class QuickCheckboxes(forms.CheckboxSelectMultiple):
    """Checkboxes rendered in Python, for the reason QuickSelect gives; the markup is Django's."""

    def render(self, name, value, attrs=None, renderer=None):
        attrs = self.build_attrs(self.attrs, attrs)
        group_id = escape(attrs.pop("id", ""))
        shared = flatatt(attrs)  # aria-invalid and the like, on every box as Django puts them
        chosen = set(self.format_value(value))
        boxes = "".join(
            f'<div><label for="{group_id}_{index}"><input type="checkbox" name="{escape(name)}" '
            f'value="{escape(str(v))}" id="{group_id}_{index}"{shared}{" checked" if str(v) in chosen else ""}>'
            f" {escape(str(label))}</label></div>"
            for index, (v, label) in enumerate(self.choices)
        )
        return mark_safe(f'<div id="{group_id}">{boxes}</div>')


class RuleForm(forms.Form):
    type = forms.ChoiceField(label="Type", required=False, widget=QuickSelect)
    tool_name = forms.ChoiceField(label="Tool", required=False, widget=QuickSelect)
    children = forms.MultipleChoiceField(label="Child tools", required=False, widget=QuickCheckboxes)
    max_count_limit = forms.IntegerField(label="Max calls per request", required=False, min_value=1)
    args = forms.CharField(
        label="Arguments (JSON object, optional)",
        required=False,
        widget=forms.TextInput(attrs={"placeholder": '{"query": "today"}'}),
    )
    mapping = forms.CharField(
        label="Next tool by output, one per line (value: tool)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "true: send_message"}),
    )
    default_child = forms.ChoiceField(label="Otherwise", required=False, widget=QuickSelect)
    require_output_mapping = forms.BooleanField(label="No tool when the output matches no value", required=False)
    kept = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, tool_names: list[str], **kwargs):
        super().__init__(*args, label_suffix="", **kwargs)
        tools = [(name, name) for name in tool_names]
        self.fields["type"].choices = [("", "Choose a type"), *TYPE_LABELS.items()]
        self.fields["tool_name"].choices = [("", "Choose a tool"), *tools]
        self.fields["children"].choices = tools
        self.fields["default_child"].choices = [("", "no tool"), *tools]

    def clean_args(self) -> dict | None:
        return json_object(self.cleaned_data["args"], subject="Arguments", example=', such as {"query": "today"}')

    def clean_mapping(self) -> dict:
        mapping = {}
        for line in self.cleaned_data["mapping"].splitlines():
            if not line.strip():
                continue
            value, colon, tool = line.rpartition(":")
            if not colon or not tool.strip():
                raise forms.ValidationError(f"'{line.strip()}' is not 'value: tool'; write one such pair per line.")
            mapping[value.strip()] = tool.strip()
        return mapping

    def clean_kept(self) -> dict:
        try:
            kept = parse_json(self.cleaned_data["kept"] or "{}")
        except ValueError:
            kept = {}
        return {k: v for k, v in kept.items() if k in _KEPT} if isinstance(kept, dict) else {}

    @property
    def is_blank(self) -> bool:
        return not self.cleaned_data.get("type")


def initial_of(rule: dict) -> dict:
    """A stored rule as a row's initial values."""
    mapping = rule.get("child_output_mapping") or {}
    return {
        "type": rule.get("type", ""),
        "tool_name": rule.get("tool_name", ""),
        "children": rule.get("children") or [],
        "max_count_limit": rule.get("max_count_limit"),
        "args": json.dumps(rule["args"]) if rule.get("args") else "",
        "mapping": "\n".join(f"{value}: {tool}" for value, tool in mapping.items()),
        "default_child": rule.get("default_child") or "",
        "require_output_mapping": bool(rule.get("require_output_mapping")),
        "kept": json.dumps({k: v for k, v in rule.items() if k in _KEPT}),
    }


def rule_of(data: dict) -> dict:
    """A row's cleaned data as a rule in Letta's JSON shape; fields the parser requires are passed on as typed,
    so a missing one gets the parser's message."""
    kind = data["type"]
    rule = {"type": kind, "tool_name": data["tool_name"]}
    if kind == "run_first" and data["args"]:
        rule["args"] = data["args"]
    elif kind in ("constrain_child_tools", "parent_last_tool"):
        rule["children"] = list(data["children"])
    elif kind == "conditional":
        rule["child_output_mapping"] = data["mapping"]
        if data["default_child"]:
            rule["default_child"] = data["default_child"]
        rule["require_output_mapping"] = data["require_output_mapping"]
    elif kind == "max_count_per_step":
        rule["max_count_limit"] = data["max_count_limit"]
    kept = data["kept"]
    if kind != "constrain_child_tools":
        kept.pop("child_arg_nodes", None)
    return {**rule, **kept}


RuleFormSet = forms.formset_factory(RuleForm, extra=0)


def rule_forms(rules: list[dict], tool_names: list[str], data=None) -> tuple[forms.BaseFormSet, RuleForm]:
    """The editor: a formset of the agent's rules other than approval rules, and the blank row that adds one."""
    # A rule may name a tool since detached; its row still offers that name, so saving does not drop the rule.
    names = list(dict.fromkeys([*tool_names, *(r.get("tool_name", "") for r in rules if r.get("tool_name"))]))
    editable = [r for r in rules if r.get("type") != APPROVAL]
    rows = RuleFormSet(
        data, prefix="rule", initial=[initial_of(r) for r in editable], form_kwargs={"tool_names": names}
    )
    return rows, RuleForm(data, prefix="new", tool_names=names)


def approval_rules(rules: list[dict]) -> list[dict]:
    return [r for r in rules if r.get("type") == APPROVAL]
