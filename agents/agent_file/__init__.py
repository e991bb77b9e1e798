"""Letta agent files (.af): export an agent with its memory, tools and in-context messages; import one back.

`export_agent(agent)` returns the file as a dict; `import_agent(data, organization_id=...)` creates its agents
and returns an `ImportResult`, or raises `AgentFileError` (storing nothing) when the file cannot be imported.
"""

from agents.agent_file.errors import AgentFileError
from agents.agent_file.exporter import export_agent
from agents.agent_file.importer import ImportResult, import_agent
from agents.agent_file.schema import parse_agent_file

__all__ = ["AgentFileError", "ImportResult", "export_agent", "import_agent", "parse_agent_file"]
