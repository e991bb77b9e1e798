"""Tools from an agent file, matched to this organization's Tool rows by name (as Letta does).

Letta's built-ins that we implement become our built-in rows, with our schema (their code is ours). Letta
built-ins we do not implement (run_bash, the file tools, the `memory` omni-tool...) and MCP tools are kept as
rows of their type with the file's schema, so the agent keeps them in its tool list and they round-trip; a call
to one returns an error the model can read.

A custom tool never takes a built-in's name, and never silently changes the code of a tool the organization
already has: its other agents run that code. Same name and same source: the file's agents share the existing
tool. Same name, different source: the import is refused (409) naming every such tool, unless the caller chose:
`override_existing_tools=true` replaces the organization's code, `false` keeps it for the file's agents too;
either way the result's warnings name the tools. Refusing rather than importing a renamed copy, because the
file's messages and tool rules call the tool by its name.
"""

from agents.agent_file.errors import AgentFileError
from agents.agent_file.schema import FileTool
from tools.builtin import BUILTIN_TOOLS
from tools.models import DEFAULT_RETURN_CHAR_LIMIT, Tool
from tools.schema import SchemaError, schema_from_source
from tools.services import ensure_base_tools

CUSTOM = Tool.Type.CUSTOM


def tool_conflicts(tools: list[FileTool], organization_id: str, override: bool | None) -> None:
    """Refuse, before anything is stored, custom tools named like a built-in, and (unless `override` says what
    to do) custom tools whose source differs from the organization's tool of that name. Names them all."""
    custom = [t for t in tools if t.tool_type == CUSTOM]
    builtin_named = [t for t in custom if t.name in BUILTIN_TOOLS]
    if builtin_named:
        raise AgentFileError(
            f"{_listed(builtin_named)} {_be(builtin_named)} custom code under the name of a built-in tool, which an "
            "import never replaces or shadows. Rename the tool in the file (and where its agents call it).",
            status_code=400,
        )
    if override is not None:
        return
    existing = _existing(organization_id, [t.name for t in custom])
    differing = [t for t in custom if t.name in existing and not _same_code(existing[t.name], t)]
    if differing:
        raise AgentFileError(
            f"{_listed(differing)}: the organization already has {_be(differing, 'a tool', 'tools')} of that name "
            "with different code, which its other agents use. Import again choosing to replace that code "
            "(override_existing_tools=true) or to keep it for the imported agents (override_existing_tools=false), "
            "or rename or delete the existing tool first.",
            status_code=409,
        )


def import_tool(tool: FileTool, organization_id: str, *, override: bool | None, warnings: list[str]) -> Tool:
    """The organization's row for the file's tool, created or (with `override`) updated; `tool_conflicts` has
    refused what this must not do."""
    where = f"Tool {tool.file_id} ({tool.name})"
    if tool.name in BUILTIN_TOOLS and tool.tool_type != CUSTOM:
        return ensure_base_tools(organization_id, [tool.name])[0]
    existing = Tool.objects.for_organization(organization_id).filter(name=tool.name).first()
    if tool.tool_type != CUSTOM:
        if existing is not None:
            return existing
        warnings.append(
            f"{where} is a Letta {tool.tool_type} tool this server does not run: it is attached with its schema, "
            "and a call to it returns an error to the model."
        )
        return Tool.objects.create(organization_id=organization_id, name=tool.name, **_fields(tool, where))
    if existing is not None and existing.tool_type != CUSTOM:
        # An MCP or unsupported Letta tool of that name: the file's custom code does not take its place.
        raise AgentFileError(
            f"{where}: the organization has a {existing.tool_type} tool of that name, which an import never "
            "replaces. Rename the tool in the file, or remove the existing one first.",
            status_code=409,
        )
    fields = _fields(tool, where)
    if existing is None:
        return Tool.objects.create(organization_id=organization_id, name=tool.name, **fields)
    if _same_code(existing, tool):
        return existing
    if not override:
        warnings.append(
            f"{where}: the organization's tool of that name has different code; it was kept "
            "(override_existing_tools=false) and the imported agents use it."
        )
        return existing
    warnings.append(
        f"{where}: the code of the organization's tool {existing.id} was replaced by the file's "
        "(override_existing_tools=true); every agent using it runs the new code."
    )
    for key, value in fields.items():
        setattr(existing, key, value)
    existing.save()
    return existing


def _existing(organization_id: str, names: list[str]) -> dict[str, Tool]:
    return {t.name: t for t in Tool.objects.for_organization(organization_id).filter(name__in=names)}


def _same_code(existing: Tool, tool: FileTool) -> bool:
    return existing.tool_type == CUSTOM and (existing.source_code or "") == (tool.raw.get("source_code") or "")


def _listed(tools: list[FileTool]) -> str:
    return ", ".join(f"Tool {t.file_id} ({t.name})" for t in tools)


def _be(tools: list, one: str = "is", many: str = "are") -> str:
    return one if len(tools) == 1 else many


def _fields(tool: FileTool, where: str) -> dict:
    raw = tool.raw
    schema = raw.get("json_schema")
    if not schema:
        try:
            schema = schema_from_source(raw["source_code"], tool.name)
        except SchemaError as exc:
            raise AgentFileError(f"{where} has no 'json_schema' and its source gives none: {exc}") from None
    return {
        "tool_type": tool.tool_type,
        "description": raw.get("description") if raw.get("description") is not None else schema.get("description"),
        "source_type": raw.get("source_type") or "python",
        "source_code": raw.get("source_code"),
        "json_schema": schema,
        "args_json_schema": raw.get("args_json_schema"),
        "tags": list(raw.get("tags") or []),
        "return_char_limit": raw.get("return_char_limit") or DEFAULT_RETURN_CHAR_LIMIT,
        "pip_requirements": raw.get("pip_requirements"),
        "npm_requirements": raw.get("npm_requirements"),
        "default_requires_approval": bool(raw.get("default_requires_approval")),
        "enable_parallel_execution": bool(raw.get("enable_parallel_execution")),
        # Letta writes the ORM's attribute name, metadata_.
        "metadata": raw.get("metadata_") or raw.get("metadata") or {},
    }
