"""Creating and updating Tool rows."""

from django.db import transaction

from accounts.errors import DomainError
from tools.builtin import BUILTIN_TOOLS, NO_TRUNCATION, TOOL_TYPES, builtin_schema
from tools.models import Tool
from tools.schema import SchemaError, schema_from_source, validate_tool_name


class ToolDefinitionError(DomainError, ValueError):
    """A tool that cannot be created as given; the message says what to fix."""


@transaction.atomic
def ensure_base_tools(organization_id: str, names: list[str] | None = None) -> list[Tool]:
    """The organization's rows for the built-in tools (created, or refreshed when their schema changed).

    Safe when several requests are first at once (parallel agent creations on a new organization): the missing
    rows are inserted ignoring any another request inserted meanwhile (ON CONFLICT DO NOTHING; on PostgreSQL the
    insert waits for that request's transaction to end), then read back, so each request ends up with the same rows
    whoever created them."""
    wanted = list(BUILTIN_TOOLS) if names is None else names
    unknown = [n for n in wanted if n not in BUILTIN_TOOLS]
    if unknown:
        raise ToolDefinitionError(
            f"Unknown built-in tools: {', '.join(unknown)}. Built-ins: {', '.join(BUILTIN_TOOLS)}."
        )
    existing = _builtin_rows(organization_id, wanted)
    if missing := [name for name in wanted if name not in existing]:
        # In one order whoever asks (the built-ins' own), so two requests inserting overlapping sets take their
        # row locks in the same order and cannot deadlock.
        missing.sort(key=list(BUILTIN_TOOLS).index)
        Tool.objects.bulk_create([_new_builtin(organization_id, name) for name in missing], ignore_conflicts=True)
        existing |= _builtin_rows(organization_id, missing)
    tools = []
    for name in wanted:
        tool = existing[name]
        fields = _builtin_fields(name)
        if any(getattr(tool, key) != value for key, value in fields.items()):
            for key, value in fields.items():
                setattr(tool, key, value)
            tool.save()
        tools.append(tool)
    return tools


def _builtin_rows(organization_id: str, names: list[str]) -> dict[str, Tool]:
    return {t.name: t for t in Tool.objects.for_organization(organization_id).filter(name__in=names)}


def _builtin_fields(name: str) -> dict:
    """What the server decides about a built-in tool (a refresh puts these back)."""
    schema = builtin_schema(name)
    return {
        "tool_type": TOOL_TYPES[name],
        "description": schema.get("description", ""),
        "json_schema": schema,
        "source_type": "python",
    }


def _new_builtin(organization_id: str, name: str) -> Tool:
    # The limit is only a default: a user may change it (PATCH /v1/tools/{id}), and a refresh keeps that.
    return Tool(
        organization_id=organization_id,
        name=name,
        **_builtin_fields(name),
        return_char_limit=1_000_000 if name in NO_TRUNCATION else 50_000,
    )


@transaction.atomic
def upsert_tool_from_source(
    *,
    organization_id: str,
    source_code: str,
    name: str | None = None,
    description: str | None = None,
    json_schema: dict | None = None,
    tags: list[str] | None = None,
    return_char_limit: int | None = None,
    default_requires_approval: bool = False,
    pip_requirements: list | None = None,
) -> Tool:
    """Create a custom tool from Python source, or update the organization's tool of the same name. The JSON
    schema comes from the function's signature and docstring unless one is given."""
    schema = _schema_of(source_code, json_schema, name)
    if name and schema["name"] != name:
        raise ToolDefinitionError(f"The tool is named '{name}' but its schema names '{schema['name']}'.")
    if schema["name"] in BUILTIN_TOOLS:
        raise ToolDefinitionError(f"'{schema['name']}' is a built-in tool; choose another name for a custom tool.")
    if description:
        schema = {**schema, "description": description}
    fields = {
        "tool_type": Tool.Type.CUSTOM,
        "source_type": "python",
        "source_code": source_code,
        "json_schema": schema,
        "description": schema.get("description", ""),
        "tags": tags or [],
        "default_requires_approval": default_requires_approval,
        "pip_requirements": pip_requirements,
    }
    if return_char_limit is not None:
        fields["return_char_limit"] = return_char_limit
    tool, _ = Tool.objects.update_or_create(organization_id=organization_id, name=schema["name"], defaults=fields)
    return tool


def _schema_of(source_code: str, json_schema: dict | None, name: str | None = None) -> dict:
    """The tool's schema: the one given (which must name the function), else one read from the source."""
    try:
        schema = json_schema or schema_from_source(source_code, name)
        if not isinstance(schema.get("name"), str):
            raise SchemaError("json_schema has no 'name': give the function's name in it, or leave json_schema out.")
        validate_tool_name(schema["name"])
    except SchemaError as exc:
        raise ToolDefinitionError(str(exc)) from exc
    return schema


def create_tool_from_source(
    *, organization_id: str, source_code: str, json_schema: dict | None = None, **fields
) -> Tool:
    """Create a new custom tool (`POST /v1/tools/`, the ADE's new tool): like `upsert_tool_from_source`, but a
    name the organization already uses is refused instead of overwriting that tool."""
    name = _schema_of(source_code, json_schema)["name"]
    # A built-in's name is refused by upsert_tool_from_source, with the reason that is the more useful one.
    if name not in BUILTIN_TOOLS and Tool.objects.for_organization(organization_id).filter(name=name).exists():
        raise ToolDefinitionError(
            f"A tool named '{name}' already exists; rename the function, or edit that tool instead "
            "(on the API: PUT /v1/tools/)."
        )
    return upsert_tool_from_source(
        organization_id=organization_id, source_code=source_code, json_schema=json_schema, **fields
    )


# What PATCH /v1/tools/{id} may change on a built-in tool: how it is used, never what it is (its code and schema
# come from the server, and ensure_base_tools would put them back).
BUILTIN_EDITABLE = {"tags", "return_char_limit", "default_requires_approval", "enable_parallel_execution", "metadata"}
UPDATABLE = BUILTIN_EDITABLE | {
    "description",
    "source_code",
    "source_type",
    "json_schema",
    "args_json_schema",
    "pip_requirements",
    "npm_requirements",
}


@transaction.atomic
def update_tool(tool: Tool, changes: dict) -> Tool:
    """Apply a partial update. New source code without a schema gets its schema regenerated (from its last
    top-level function, as on create), and a schema naming another function renames the tool."""
    changes = {key: value for key, value in changes.items() if key in UPDATABLE}
    if tool.tool_type != Tool.Type.CUSTOM:
        refused = sorted(key for key in changes if key not in BUILTIN_EDITABLE)
        if refused:
            whose = (
                "an MCP server's tool (its server defines it; refresh the server to update it)"
                if tool.tool_type == Tool.Type.EXTERNAL_MCP
                else f"a built-in ({tool.tool_type}) tool"
            )
            raise ToolDefinitionError(
                f"'{tool.name}' is {whose}: its {', '.join(refused)} cannot be changed. "
                f"Only {', '.join(sorted(BUILTIN_EDITABLE))} can; for other code, create a custom tool."
            )
    schema = changes.get("json_schema")
    source = changes.get("source_code")
    try:
        if not schema and source is not None:
            schema = schema_from_source(source)
        if schema:
            validate_tool_name(schema.get("name", ""))
    except SchemaError as exc:
        raise ToolDefinitionError(str(exc)) from exc
    if schema:
        new_name = schema["name"]
        if new_name != tool.name:
            if new_name in BUILTIN_TOOLS:
                raise ToolDefinitionError(f"'{new_name}' is a built-in tool; choose another name for a custom tool.")
            if Tool.objects.for_organization(tool.organization_id).filter(name=new_name).exclude(pk=tool.pk).exists():
                raise ToolDefinitionError(
                    f"The new source defines '{new_name}', but a tool with that name already exists; rename the "
                    "function or delete the other tool first."
                )
            tool.name = new_name
        tool.json_schema = schema
        tool.description = schema.get("description", "")
    if changes.get("description"):
        tool.json_schema = {**tool.json_schema, "description": changes["description"]}
        tool.description = changes["description"]
    for key in (
        "source_code",
        "source_type",
        "args_json_schema",
        "pip_requirements",
        "npm_requirements",
        *BUILTIN_EDITABLE,
    ):
        if key in changes and changes[key] is not None:
            setattr(tool, key, changes[key])
    tool.save()
    return tool
