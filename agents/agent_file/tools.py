"""Tools from an agent file, matched to this organization's Tool rows by name (as Letta does).

Letta's built-ins that we implement become our built-in rows, with our schema (their code is ours). Letta
built-ins we do not implement (run_bash, the file tools, the `memory` omni-tool...) and MCP tools are kept as
rows of their type with the file's schema, so the agent keeps them in its tool list and they round-trip; a call
to one returns an error the model can read. Custom tools are upserted by name; built-in rows are never
overwritten by a custom tool of the same name.
"""

from agents.agent_file.errors import AgentFileError
from agents.agent_file.schema import FileTool
from tools.builtin import BUILTIN_TOOLS
from tools.models import DEFAULT_RETURN_CHAR_LIMIT, Tool
from tools.schema import SchemaError, schema_from_source
from tools.services import ensure_base_tools

CUSTOM = Tool.Type.CUSTOM


def import_tool(tool: FileTool, organization_id: str, *, override: bool, warnings: list[str]) -> Tool:
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
        warnings.append(
            f"{where}: this server has a built-in tool of that name, which an import never replaces; "
            "the agent uses the built-in."
        )
        return existing
    if existing is not None and not override:
        return existing
    fields = _fields(tool, where)
    if existing is None:
        return Tool.objects.create(organization_id=organization_id, name=tool.name, **fields)
    for key, value in fields.items():
        setattr(existing, key, value)
    existing.save()
    return existing


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
