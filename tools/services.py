"""Creating and updating Tool rows."""

from django.db import transaction

from tools.builtin import BUILTIN_TOOLS, NO_TRUNCATION, TOOL_TYPES, builtin_schema
from tools.models import Tool


@transaction.atomic
def ensure_base_tools(organization_id: str, names: list[str] | None = None) -> list[Tool]:
    """The organization's rows for the built-in tools (created, or refreshed when their schema changed)."""
    wanted = list(BUILTIN_TOOLS) if names is None else names
    unknown = [n for n in wanted if n not in BUILTIN_TOOLS]
    if unknown:
        raise ValueError(f"Unknown built-in tools: {', '.join(unknown)}. Built-ins: {', '.join(BUILTIN_TOOLS)}.")
    existing = {t.name: t for t in Tool.objects.filter(organization_id=organization_id, name__in=wanted)}
    tools = []
    for name in wanted:
        schema = builtin_schema(name)
        fields = {
            "tool_type": TOOL_TYPES[name],
            "description": schema.get("description", ""),
            "json_schema": schema,
            "source_type": "python",
            "return_char_limit": 1_000_000 if name in NO_TRUNCATION else 50_000,
        }
        tool = existing.get(name)
        if tool is None:
            tool = Tool.objects.create(organization_id=organization_id, name=name, **fields)
        elif any(getattr(tool, key) != value for key, value in fields.items()):
            for key, value in fields.items():
                setattr(tool, key, value)
            tool.save()
        tools.append(tool)
    return tools
