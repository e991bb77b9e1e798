"""Reading an agent file (.af): decode it, check it whole, and hand the importer typed, trusted pieces.

Nothing here touches the database, so a bad file is refused before anything is stored. Every error names the
entity (by its file id) and the field at fault. Letta wrote several variants of the format over its releases:
double-encoded JSON, files without `skills` or `groups`, agents with `model` handles or only `llm_config`,
messages with string content or legacy tool-return shapes. The parser accepts all of them and keeps every
character of user data (block values, message content, tool source) exactly as the file has it.
"""

import re
from dataclasses import dataclass, field

from agents import sleeptime
from agents.agent_file.errors import AgentFileError, check_size, optional_str
from agents.agent_file.messages import FileMessage, parse_message
from agents.storable import unstorable
from letta_project.limits import JSONTooDeep, parse_json
from tools.rules import ToolRuleError, parse_rules

# The entity lists of the format and the prefix of their file-local ids (`block-0`, `tool-3`, ...).
PREFIXES = {
    "agents": "agent",
    "groups": "group",
    "blocks": "block",
    "files": "file",
    "sources": "source",
    "tools": "tool",
    "mcp_servers": "mcp_server",
}
# Letta's newer files (2026) add a top-level `skills` list whose entries have no id: a skill's name is its key.
# Bounds of our columns: a longer value would be cut (losing characters) or refused by the database.
MAX_AGENT_NAME, MAX_LABEL, MAX_TOOL_NAME, MAX_TOOL_TYPE, MAX_SKILL_NAME = 200, 200, 48, 32, 200


@dataclass(slots=True)
class FileBlock:
    file_id: str
    label: str
    value: str
    limit: int | None
    description: str | None
    read_only: bool
    metadata: dict
    tags: list
    hidden: bool


@dataclass(slots=True)
class FileTool:
    file_id: str
    name: str
    tool_type: str
    raw: dict  # the file's entry, read field by field by the importer


@dataclass(slots=True)
class FileAgent:
    file_id: str
    raw: dict
    block_ids: list[str]
    tool_ids: list[str]
    tool_rules: list[dict]
    messages: list[FileMessage]
    # None when the file does not say (old files): then every message is in context.
    in_context_message_ids: list[str] | None


@dataclass(slots=True)
class FileSleeptimeGroup:
    """A `sleeptime` group of the file: `sleeper` tends the memory of `primary` every `frequency` turns."""

    file_id: str
    primary: str  # agent file ids
    sleeper: str
    frequency: int
    description: str


@dataclass(slots=True)
class AgentFile:
    agents: list[FileAgent]
    blocks: dict[str, FileBlock]
    tools: dict[str, FileTool]
    # Parts of the file this server does not import (groups, sources, MCP servers...), said in the result.
    notes: list[str] = field(default_factory=list)
    # The file's skills, each entry exactly as the file has it.
    skills: list[dict] = field(default_factory=list)
    sleeptime_groups: list[FileSleeptimeGroup] = field(default_factory=list)


# ------------------------------------------------------------------------------------------------- decoding


def decode(data) -> dict:
    """The file's top-level object from bytes, text or an already parsed dict."""
    if isinstance(data, bytes | bytearray | str):
        check_size(len(data))
    if isinstance(data, bytes | bytearray):
        try:
            data = bytes(data).decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise AgentFileError(f"The agent file is not UTF-8 text (byte {exc.start} is invalid).") from None
    # Some Letta versions wrote the JSON object as a JSON string holding it (double-encoded); unwrap that too.
    for _ in range(3):
        if not isinstance(data, str):
            break
        try:
            data = parse_json(data, subject="The agent file", strict=False)
        except JSONTooDeep as exc:
            raise AgentFileError(str(exc)) from None
        except ValueError as exc:
            raise AgentFileError(f"The agent file is not valid JSON: {exc}.") from None
    if not isinstance(data, dict):
        raise AgentFileError(f"The agent file must hold a JSON object, not {type(data).__name__}.")
    if problem := unstorable(data):
        raise AgentFileError(f"The agent file cannot be imported: {problem}.")
    return data


# ------------------------------------------------------------------------------------------------ validating


def parse_agent_file(data) -> AgentFile:
    """Decode and check the whole file; raises AgentFileError at the first problem."""
    doc = decode(data)
    if not isinstance(doc.get("agents"), list):
        raise AgentFileError(
            "This is a legacy agent file: it has no 'agents' list (older Letta releases wrote one agent's state at "
            "the top level). Load it into a Letta server and export it again, then import the new file."
        )
    if not doc["agents"]:
        raise AgentFileError("The agent file's 'agents' list is empty: there is no agent to import.")
    lists = {key: _entity_list(doc, key) for key in PREFIXES}
    _check_ids(lists)
    blocks = {raw["id"]: _block(raw) for raw in lists["blocks"]}
    tools = {raw["id"]: _tool(raw) for raw in lists["tools"]}
    agents = [_agent(raw, blocks, tools) for raw in lists["agents"]]
    skills = _skills(_entity_list(doc, "skills"))
    groups = _sleeptime_groups(lists["groups"], agents)
    return AgentFile(
        agents=agents,
        blocks=blocks,
        tools=tools,
        notes=_notes(lists, agents),
        skills=skills,
        sleeptime_groups=groups,
    )


def _entity_list(doc: dict, key: str) -> list[dict]:
    value = doc.get(key)
    if value is None:
        return []  # older files lack the newer lists (skills, mcp_servers, groups)
    if not isinstance(value, list):
        raise AgentFileError(f"'{key}' must be a list, not {type(value).__name__}.")
    for index, item in enumerate(value):
        if not isinstance(item, dict):
            raise AgentFileError(f"{key}[{index}] must be an object, not {type(item).__name__}.")
    return value


def _check_ids(lists: dict[str, list[dict]]) -> None:
    """Every id has its list's prefix and a number, and no id appears twice anywhere in the file."""
    seen: dict[str, str] = {}

    def claim(value, prefix: str, where: str) -> None:
        if not isinstance(value, str) or not re.fullmatch(rf"{re.escape(prefix)}-\d+", value):
            raise AgentFileError(f"{where} has id {value!r}; ids in this list look like '{prefix}-0', '{prefix}-1'.")
        if value in seen:
            raise AgentFileError(f"Duplicate id '{value}': used by {seen[value]} and by {where}. Ids must be unique.")
        seen[value] = where

    for key, prefix in PREFIXES.items():
        for index, item in enumerate(lists[key]):
            claim(item.get("id"), prefix, f"{key}[{index}]")
    for agent in lists["agents"]:
        messages = agent.get("messages") or []
        if not isinstance(messages, list):
            raise AgentFileError(f"Agent {agent['id']}: 'messages' must be a list.")
        for index, message in enumerate(messages):
            if not isinstance(message, dict):
                raise AgentFileError(f"Agent {agent['id']}: messages[{index}] must be an object.")
            claim(message.get("id"), "message", f"agent {agent['id']} messages[{index}]")


def _skills(entries: list[dict]) -> list[dict]:
    """Checked as Letta's SkillSchema checks them: a name (unique: it is the skill's key), and `files` holding
    SKILL.md, or a `source_url`, or both."""
    names: set[str] = set()
    for index, entry in enumerate(entries):
        name = entry.get("name")
        where = f"skills[{index}]"
        if not isinstance(name, str) or not name.strip():
            raise AgentFileError(f"{where} needs a non-empty 'name'.")
        where = f"Skill '{name}' ({where})"
        if len(name) > MAX_SKILL_NAME:
            raise AgentFileError(f"{where}: the name is longer than {MAX_SKILL_NAME} characters.")
        if name in names:
            raise AgentFileError(f"{where}: another skill has the same name; skill names must be unique.")
        names.add(name)
        files = entry.get("files")
        if files is not None and not (isinstance(files, dict) and all(isinstance(v, str) for v in files.values())):
            raise AgentFileError(f"{where}: 'files' must map each path to its text.")
        source_url = optional_str(entry, "source_url", where)
        if not (files and "SKILL.md" in files) and source_url is None:
            raise AgentFileError(f"{where} needs 'files' holding 'SKILL.md', or a 'source_url'.")
    return entries


def _block(raw: dict) -> FileBlock:
    where = f"Block {raw['id']}"
    label = raw.get("label")
    if not isinstance(label, str) or not label.strip():
        raise AgentFileError(f"{where} needs a non-empty 'label'.")
    if len(label) > MAX_LABEL:
        raise AgentFileError(f"{where}: label '{label[:40]}…' is longer than {MAX_LABEL} characters.")
    value = raw.get("value")
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise AgentFileError(f"{where} ({label}): 'value' must be a string.")
    limit = raw.get("limit")
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
        raise AgentFileError(f"{where} ({label}): 'limit' must be a positive number of characters, not {limit!r}.")
    description = optional_str(raw, "description", f"{where} ({label})")
    return FileBlock(
        file_id=raw["id"],
        label=label,
        value=value,
        limit=limit,
        description=description,
        read_only=bool(raw.get("read_only")),
        metadata=_dict(raw.get("metadata"), f"{where} metadata"),
        tags=list(raw.get("tags") or []),
        hidden=bool(raw.get("hidden")),
    )


def _tool(raw: dict) -> FileTool:
    where = f"Tool {raw['id']}"
    name = raw.get("name")
    if not isinstance(name, str) or not name:
        raise AgentFileError(f"{where} needs a non-empty 'name'.")
    if len(name) > MAX_TOOL_NAME:
        raise AgentFileError(f"{where}: tool name '{name}' is longer than {MAX_TOOL_NAME} characters.")
    tool_type = raw.get("tool_type") or "custom"
    if not isinstance(tool_type, str) or len(tool_type) > MAX_TOOL_TYPE:
        raise AgentFileError(f"{where} ({name}): 'tool_type' must be a short string such as 'custom'.")
    for key in ("source_code", "description"):
        optional_str(raw, key, f"{where} ({name})")
    if raw.get("json_schema") is not None and not isinstance(raw["json_schema"], dict):
        raise AgentFileError(f"{where} ({name}): 'json_schema' must be an object.")
    limit = raw.get("return_char_limit")
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
        raise AgentFileError(f"{where} ({name}): 'return_char_limit' must be a positive number, not {limit!r}.")
    if not isinstance(raw.get("tags") or [], list):
        raise AgentFileError(f"{where} ({name}): 'tags' must be a list.")
    if tool_type == "custom" and not raw.get("json_schema") and not raw.get("source_code"):
        raise AgentFileError(f"{where} ({name}) is a custom tool with neither 'json_schema' nor 'source_code'.")
    return FileTool(file_id=raw["id"], name=name, tool_type=tool_type, raw=raw)


def _agent(raw: dict, blocks: dict, tools: dict) -> FileAgent:
    where = f"Agent {raw['id']}"
    optional_str(raw, "name", where)
    block_ids = _references(raw, "block_ids", blocks, where)
    labels: dict[str, str] = {}
    for block_id in block_ids:
        label = blocks[block_id].label
        if label in labels:
            raise AgentFileError(
                f"{where}: blocks {labels[label]} and {block_id} are both labelled '{label}'; an "
                "agent's block labels must be unique."
            )
        labels[label] = block_id
    tool_ids = _references(raw, "tool_ids", tools, where)
    rules = raw.get("tool_rules") or []
    try:
        parse_rules(rules)
    except ToolRuleError as exc:
        raise AgentFileError(f"{where}: {exc}") from None
    for key in ("system", "description", "timezone", "agent_type"):
        optional_str(raw, key, where)
    tags = raw.get("tags") or []
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise AgentFileError(f"{where}: 'tags' must be a list of strings.")
    _dict(raw.get("metadata"), f"{where} metadata")
    for key in ("secrets", "tool_exec_environment_variables"):
        _dict(raw.get(key), f"{where} {key}")
    messages = [parse_message(m, f"{where} message {m['id']}") for m in raw.get("messages") or []]
    in_context = raw.get("in_context_message_ids")
    if in_context is not None:
        known = {m.file_id for m in messages}
        if not isinstance(in_context, list):
            raise AgentFileError(f"{where}: 'in_context_message_ids' must be a list of message ids.")
        for message_id in in_context:
            if message_id not in known:
                raise AgentFileError(
                    f"{where}: in_context_message_ids names {message_id!r}, which is not among the agent's messages."
                )
        if len(set(in_context)) != len(in_context):
            raise AgentFileError(f"{where}: in_context_message_ids lists a message twice.")
    return FileAgent(
        file_id=raw["id"],
        raw=raw,
        block_ids=block_ids,
        tool_ids=tool_ids,
        tool_rules=list(rules),
        messages=messages,
        in_context_message_ids=in_context,
    )


def _manager_type(group: dict) -> str:
    return _dict(group.get("manager_config"), f"Group {group['id']} manager_config").get("manager_type", "round_robin")


def _sleeptime_groups(groups: list[dict], agents: list[FileAgent]) -> list[FileSleeptimeGroup]:
    """The file's `sleeptime` groups, each tying an agent of the file to its sleep-time agent, also of the file;
    an agent in two of them, or a group naming an agent the file lacks, refuses the file."""
    known = {agent.file_id: agent for agent in agents}
    found, tied = [], set()
    for group in groups:
        if _manager_type(group) != "sleeptime":
            continue
        where = f"Group {group['id']} (sleeptime)"
        config = group["manager_config"]
        primary, members = config.get("manager_agent_id"), group.get("agent_ids")
        if primary not in known:
            raise AgentFileError(f"{where}: manager_agent_id {primary!r} is not an agent of the file.")
        if not isinstance(members, list) or len(members) != 1 or members[0] not in known or members[0] == primary:
            raise AgentFileError(
                f"{where}: agent_ids must name exactly one other agent of the file, its sleep-time agent."
            )
        for agent_id in (primary, members[0]):
            if agent_id in tied:
                raise AgentFileError(f"{where}: agent {agent_id} is already in another sleep-time group.")
            tied.add(agent_id)
        frequency = config.get("sleeptime_agent_frequency")
        try:
            frequency = sleeptime.DEFAULT_FREQUENCY if frequency is None else sleeptime.check_frequency(frequency)
        except sleeptime.SleeptimeError as exc:
            raise AgentFileError(f"{where}: {exc}") from None
        description = optional_str(group, "description", where) or ""
        found.append(FileSleeptimeGroup(group["id"], primary, members[0], frequency, description))
    return found


def _references(raw: dict, key: str, known: dict, where: str) -> list[str]:
    ids = raw.get(key) or []
    if not isinstance(ids, list):
        raise AgentFileError(f"{where}: '{key}' must be a list of ids.")
    kind = key.removesuffix("_ids")
    for value in ids:
        if value not in known:
            raise AgentFileError(f"{where}: {key} names {value!r}, but the file has no {kind} with that id.")
    return list(dict.fromkeys(ids))  # a repeated id attaches once


def _dict(value, where: str) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise AgentFileError(f"{where} must be an object.")
    return value


def _notes(lists: dict[str, list[dict]], agents: list[FileAgent]) -> list[str]:
    notes = []
    for group in lists["groups"]:
        manager = _manager_type(group)
        if manager == "sleeptime":
            continue  # imported with its agents
        notes.append(
            f"Group {group['id']} ({manager}) was not imported: this server has no multi-agent groups yet; "
            "its agents were imported as separate agents."
        )
    for key, what in (
        ("sources", "data sources"),
        ("files", "files"),
        ("mcp_servers", "MCP servers"),
    ):
        if lists[key]:
            notes.append(
                f"The file's {len(lists[key])} {what} were not imported: this server does not support {what} yet."
            )
    for agent in agents:
        if agent.raw.get("files_agents") or agent.raw.get("source_ids"):
            notes.append(f"Agent {agent.file_id}: its attached files and sources were not imported.")
    return notes
