"""Importing an agent file: tools, then blocks, then agents with their messages, in one transaction.

The whole file is parsed and checked first (`schema.parse_agent_file`, `config.agent_settings`), so a bad file
stores nothing; a refusal from a service while writing rolls everything back and is reported the same way.
Block values and limits are stored exactly as the file has them, even over the limit (Letta never enforced
limits): such a block is listed in the result and from then on accepts only edits that do not make it longer.
"""

from dataclasses import asdict, dataclass, field

from django.db import transaction

from agents import services, sleeptime
from agents.agent_file.config import agent_settings
from agents.agent_file.errors import AgentFileError
from agents.agent_file.messages import FileMessage, arrange_context
from agents.agent_file.schema import MAX_AGENT_NAME, AgentFile, FileAgent, parse_agent_file
from agents.agent_file.tools import import_tool, tool_conflicts
from agents.models import Agent, AgentSkill, AgentType, Message
from agents.runtime.system_message import refresh_system_message
from memory import services as memory_services
from memory.models import Block
from memory.services import EditActor, MemoryEditError
from tools.rules import ToolRuleError
from tools.schema import SchemaError

COPY_SUFFIX = "_copy"


@dataclass
class ImportResult:
    agent_ids: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # Blocks stored over their limit: [{"label", "chars", "limit", "block_id"}].
    over_limit_blocks: list[dict] = field(default_factory=list)
    # File-local id -> the id of the row it became (agents, blocks, tools, messages).
    id_mappings: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return asdict(self)


def import_agent(
    data,
    *,
    organization_id: str,
    name: str | None = None,
    model: str | None = None,
    embedding: str | None = None,
    strip_messages: bool = False,
    override_existing_tools: bool | None = None,
    secrets: dict | None = None,
    append_copy_suffix: bool = True,
) -> ImportResult:
    """Create the file's agents in the organization. Raises AgentFileError, storing nothing, on a bad file.

    `name` renames the file's first agent (the one that was exported; others are its group companions); the
    others keep their names, plus "_copy" unless `append_copy_suffix` is False (Letta's default is True).
    `model` / `embedding` replace every agent's handles. `secrets` fills the values of the secret keys the file
    lists (exported files carry keys only). `override_existing_tools` says what to do with a custom tool whose
    name the organization already uses with different code (agents/agent_file/tools.py): None refuses the file.
    """
    parsed = parse_agent_file(data)
    plans = [agent_settings(agent.raw, model, embedding) for agent in parsed.agents]
    tool_conflicts(list(parsed.tools.values()), organization_id, override_existing_tools)
    suffix = COPY_SUFFIX if append_copy_suffix else ""
    result = ImportResult(warnings=list(parsed.notes))
    try:
        with transaction.atomic():
            tools = _import_tools(parsed, organization_id, override_existing_tools, result)
            blocks = _import_blocks(parsed, organization_id, result)
            created_agents: dict[str, Agent] = {}
            for index, (agent, settings_) in enumerate(zip(parsed.agents, plans, strict=True)):
                agent_name = name if (name and index == 0) else f"{agent.raw.get('name') or 'agent'}{suffix}"
                created = _import_agent(
                    agent, agent_name, settings_, organization_id, tools, blocks, strip_messages, secrets or {}, result
                )
                result.agent_ids.append(created.id)
                created_agents[agent.file_id] = created
            _import_skills(parsed, result.agent_ids[0])
            _import_sleeptime(parsed, created_agents, result)
    except (services.AgentConfigError, MemoryEditError, ToolRuleError, SchemaError) as exc:
        raise AgentFileError(f"The agent file could not be imported: {exc}") from exc
    return result


# ------------------------------------------------------------------------------------------ tools, blocks, skills


def _import_sleeptime(parsed: AgentFile, created: dict[str, Agent], result: ImportResult) -> None:
    """Tie each of the file's sleep-time groups again (`created`: file id -> the agent it became); an agent whose
    file says `enable_sleeptime` but brings no sleep-time agent gets a new one, as turning it on would give it."""
    for group in parsed.sleeptime_groups:
        tied = sleeptime.tie(
            created[group.primary], created[group.sleeper], frequency=group.frequency, description=group.description
        )
        result.id_mappings[group.file_id] = tied.id
    primaries = {group.primary for group in parsed.sleeptime_groups}
    for agent in parsed.agents:
        if agent.raw.get("enable_sleeptime") and agent.file_id not in primaries:
            tied = sleeptime.enable(created[agent.file_id])
            result.agent_ids.append(tied.sleeptime_agent_id)
            result.warnings.append(
                f"Agent {agent.file_id} has enable_sleeptime=true but the file brings no sleep-time agent for it: "
                f"a new one was made ({tied.sleeptime_agent.name})."
            )


def _import_tools(parsed: AgentFile, organization_id: str, override: bool | None, result: ImportResult) -> dict:
    rows = {}
    for file_id, tool in parsed.tools.items():
        rows[file_id] = import_tool(tool, organization_id, override=override, warnings=result.warnings)
        result.id_mappings[file_id] = rows[file_id].id
    return rows


def _import_skills(parsed: AgentFile, agent_id: str) -> None:
    """The file's skills belong to the agent it was exported from, its first (the others are group companions)."""
    AgentSkill.objects.bulk_create(
        AgentSkill(agent_id=agent_id, position=n, name=entry["name"], entry=entry)
        for n, entry in enumerate(parsed.skills)
    )


def _import_blocks(parsed: AgentFile, organization_id: str, result: ImportResult) -> dict[str, Block]:
    # Created in the order the agents list them, so each agent's memory renders in the file's order.
    order = list(dict.fromkeys([b for agent in parsed.agents for b in agent.block_ids] + list(parsed.blocks)))
    rows = {}
    for file_id in order:
        spec = parsed.blocks[file_id]
        block = memory_services.create_block(
            organization_id=organization_id,
            label=spec.label,
            value=spec.value,
            limit=spec.limit,
            description=spec.description,
            read_only=spec.read_only,
            metadata=spec.metadata,
            tags=spec.tags,
            hidden=spec.hidden,
            allow_over_limit=True,
            actor=EditActor.system(),
        )
        if block.value != spec.value:  # only NUL, which the database cannot hold, is ever taken out
            result.warnings.append(f"Block {file_id} ({spec.label}): NUL characters were removed from its value.")
        if len(block.value) > block.limit:
            result.over_limit_blocks.append(
                {"label": block.label, "chars": len(block.value), "limit": block.limit, "block_id": block.id}
            )
            result.warnings.append(
                f"Block {file_id} ({block.label}) holds {len(block.value):,} characters, over its limit of "
                f"{block.limit:,}; it was kept whole and accepts only edits that do not make it longer."
            )
        rows[file_id] = block
        result.id_mappings[file_id] = block.id
    return rows


# ------------------------------------------------------------------------------------------------------ agents


def _import_agent(
    agent: FileAgent,
    name: str,
    settings_: dict,
    organization_id: str,
    tools: dict,
    blocks: dict,
    strip_messages: bool,
    secrets: dict,
    result: ImportResult,
) -> Agent:
    raw = agent.raw
    if len(name) > MAX_AGENT_NAME:
        raise AgentFileError(
            f"Agent {agent.file_id}: name '{name[:40]}…' is longer than {MAX_AGENT_NAME} characters; "
            "pass a shorter name."
        )
    agent_type = raw.get("agent_type") or AgentType.LETTA_V1
    if agent_type not in AgentType.values:
        result.warnings.append(
            f"Agent {agent.file_id}: agent type '{agent_type}' is not supported here; it was "
            f"imported as '{AgentType.LETTA_V1}'."
        )
        agent_type = AgentType.LETTA_V1
    created = services.create_agent(
        organization_id=organization_id,
        name=name,
        system=raw.get("system"),  # kept as the file has it; a file without one gets its type's default
        agent_type=agent_type,
        description=raw.get("description"),
        memory_blocks=[],
        block_ids=[blocks[b].id for b in agent.block_ids],
        tool_ids=list(dict.fromkeys(tools[t].id for t in agent.tool_ids)),
        include_base_tools=False,
        tool_rules=agent.tool_rules,
        tags=list(raw.get("tags") or []),
        metadata=raw.get("metadata") or {},
        timezone=raw.get("timezone") or "UTC",
        actor=EditActor.system(),
        **settings_,
    )
    # Exported files list secret keys with blank values; the importer supplies the values it has.
    keys = raw.get("secrets") or raw.get("tool_exec_environment_variables") or {}
    created.secrets = {key: str(secrets.get(key, "")) for key in keys}
    created.message_buffer_autoclear = bool(raw.get("message_buffer_autoclear"))
    created.save(update_fields=["secrets", "message_buffer_autoclear"])
    result.id_mappings[agent.file_id] = created.id
    if not strip_messages and agent.messages:
        _import_messages(agent, created, result)
    return created


def _import_messages(agent: FileAgent, created: Agent, result: ImportResult) -> None:
    """Recreate the messages with new ids, in file order, and the context in the file's order."""
    by_id = {m.file_id: m for m in agent.messages}
    ids = agent.in_context_message_ids
    in_context = [by_id[i] for i in ids] if ids is not None else list(agent.messages)
    file_system = in_context[0] if in_context and in_context[0].role == "system" else None
    context = arrange_context(in_context[1:] if file_system else in_context, agent.file_id)
    result.warnings.extend(context.warnings)

    system_row = Message.objects.get(id=created.message_ids[0])
    rows: dict[int, Message] = {}
    if file_system is not None:
        # The file's compiled system text is kept as it is (so a re-export gives it back); the blank fingerprint
        # makes the agent's first turn recompile it from the template and the imported blocks.
        _fill(system_row, file_system)
        system_row.save()
        rows[id(file_system)] = system_row
        result.id_mappings[file_system.file_id] = system_row.id
        created.system_fingerprint = ""
        Agent.objects.filter(pk=created.pk).update(system_fingerprint="")
    new = []
    for message in agent.messages:
        if message is not file_system:
            new.append(message)
        new.extend(context.added_after.get(id(message), []))
    saved = Message.objects.bulk_create(
        [_fill(Message(organization_id=created.organization_id, agent=created), m) for m in new]
    )
    for message, row in zip(new, saved, strict=True):
        rows[id(message)] = row
        if message.file_id:
            result.id_mappings[message.file_id] = row.id
    _link_approval_requests(saved, result.id_mappings)
    created.replace_context([system_row, *(rows[id(m)] for m in context.messages)], stored=len(saved))
    if file_system is None:
        refresh_system_message(created, force=True)  # the memory metadata counts the imported history


def _fill(row: Message, message: FileMessage) -> Message:
    row.role = message.role
    row.content = message.content
    row.text = message.text
    for key in (
        "name",
        "tool_calls",
        "tool_call_id",
        "tool_returns",
        "approvals",
        "approve",
        "approval_request_id",
        "denial_reason",
        "otid",
        "sender_id",
        "model",
        "is_err",
    ):
        setattr(row, key, getattr(message, key))
    if message.created_at is not None:
        row.created_at = message.created_at
    return row


def _link_approval_requests(rows: list[Message], mappings: dict[str, str]) -> None:
    """Point approval answers at the new id of the request they answer, when the file holds that request."""
    changed = [row for row in rows if row.approval_request_id in mappings]
    for row in changed:
        row.approval_request_id = mappings[row.approval_request_id]
    if changed:
        Message.objects.bulk_update(changed, ["approval_request_id"])
