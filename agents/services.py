"""Actions on agents: create, attach memory and tools, and the callables the loop hands to tools.

The API views, the ADE pages and the management commands all call these.
"""

from django.conf import settings
from django.db import transaction

from agents.models import Agent, AgentType, Message
from agents.runtime.system_message import refresh_system_message, system_content
from memory import services as memory_services
from memory.models import Archive, Block
from memory.services import EditActor
from tools.builtin import BASE_TOOLS_BY_AGENT_TYPE, TERMINAL_BY_DEFAULT
from tools.models import Tool
from tools.rules import merge_approval_rule, parse_rules
from tools.services import ensure_base_tools


class AgentConfigError(ValueError):
    """The agent cannot be created or changed as asked; the message says why."""


def default_rules(agent_type: str, tool_names: list[str]) -> list[dict]:
    # Legacy agents reply through send_message, which ends their turn.
    if agent_type in (AgentType.LETTA_V1, AgentType.REACT, AgentType.WORKFLOW):
        return []
    return [{"type": "exit_loop", "tool_name": n} for n in tool_names if n in TERMINAL_BY_DEFAULT]


@transaction.atomic
def create_agent(
    *,
    organization_id: str,
    name: str,
    model: str | None = None,
    system: str = "",
    agent_type: str = AgentType.LETTA_V1,
    description: str | None = None,
    memory_blocks: list[dict] | None = None,
    block_ids: list[str] | None = None,
    tools: list[str] | None = None,
    tool_ids: list[str] | None = None,
    include_base_tools: bool = True,
    tool_rules: list[dict] | None = None,
    tags: list[str] | None = None,
    metadata: dict | None = None,
    temperature: float | None = None,
    max_tokens: int | None = None,
    parallel_tool_calls: bool = False,
    context_window_limit: int | None = None,
    embedding: str | None = None,
    timezone: str = "UTC",
    actor: EditActor | None = None,
) -> Agent:
    model = model or settings.DEFAULT_MODEL
    if not model:
        raise AgentConfigError("Must specify a model handle such as 'openai/gpt-4.1-mini'.")
    if "/" not in model:
        raise AgentConfigError(f"Model '{model}' is not a handle: use 'provider/model', e.g. 'openai/{model}'.")
    if agent_type not in AgentType.values:
        raise AgentConfigError(f"Unknown agent_type '{agent_type}'. Valid: {', '.join(AgentType.values)}.")
    actor = actor or EditActor.api()
    agent = Agent.objects.create(
        organization_id=organization_id, name=name, model=model, system=system, agent_type=agent_type,
        description=description, tags=tags or [], metadata=metadata or {},
        temperature=0.7 if temperature is None else temperature, max_tokens=max_tokens,
        parallel_tool_calls=parallel_tool_calls, context_window_limit=context_window_limit,
        embedding=embedding, timezone=timezone,
    )
    labels: set[str] = set()
    for spec in memory_blocks or []:
        block = memory_services.create_block(organization_id=organization_id, actor=actor, **spec)
        _attach(agent, block, labels)
    for block in _owned(Block, organization_id, block_ids or []):
        _attach(agent, block, labels)

    tool_names = list(BASE_TOOLS_BY_AGENT_TYPE.get(agent_type, [])) if include_base_tools else []
    tool_names += [n for n in tools or [] if n not in tool_names]
    attached = _tools_by_name(organization_id, tool_names) + _owned(Tool, organization_id, tool_ids or [])
    agent.tools.add(*attached)
    rules = tool_rules if tool_rules is not None else default_rules(agent_type, [t.name for t in attached])
    parse_rules(rules)  # refuse malformed rules before storing them
    agent.tool_rules = rules
    system_message = Message.objects.create(
        organization_id=organization_id, agent=agent, role=Message.Role.SYSTEM, content=system_content("")
    )
    agent.message_ids = [system_message.id]
    agent.message_count = 1
    agent.save(update_fields=["tool_rules", "message_ids", "message_count"])
    refresh_system_message(agent, force=True)
    return agent


def _owned(model, organization_id: str, ids: list[str]) -> list:
    found = {obj.id: obj for obj in model.objects.filter(organization_id=organization_id, id__in=ids)}
    missing = [i for i in ids if i not in found]
    if missing:
        raise AgentConfigError(f"{model.__name__} not found: {', '.join(missing)}.")
    return [found[i] for i in ids]


def _tools_by_name(organization_id: str, names: list[str]) -> list[Tool]:
    from tools.builtin import BUILTIN_TOOLS

    builtins = [n for n in names if n in BUILTIN_TOOLS]
    found = {t.name: t for t in ensure_base_tools(organization_id, builtins)}
    found.update({t.name: t for t in Tool.objects.filter(organization_id=organization_id, name__in=names)})
    missing = [n for n in names if n not in found]
    if missing:
        raise AgentConfigError(f"Tools not found: {', '.join(missing)}. Create them first or check the names.")
    return [found[n] for n in names]


def _attach(agent: Agent, block: Block, labels: set[str]) -> None:
    if block.label in labels:
        raise AgentConfigError(f"Agent already has a memory block labelled '{block.label}'; labels are unique.")
    labels.add(block.label)
    agent.blocks.add(block)


@transaction.atomic
def attach_block(agent: Agent, block: Block) -> None:
    if agent.blocks.filter(label=block.label).exclude(pk=block.pk).exists():
        raise AgentConfigError(f"Agent already has a memory block labelled '{block.label}'; labels are unique.")
    agent.blocks.add(block)


@transaction.atomic
def attach_tool(agent: Agent, tool: Tool) -> None:
    """Give the agent a tool; a tool that asks for approval by default gets the agent's requires_approval rule."""
    agent.tools.add(tool)
    if tool.default_requires_approval:
        agent.tool_rules = merge_approval_rule(agent.tool_rules, tool.name, True)
        agent.save(update_fields=["tool_rules", "updated_at"])


def ensure_archive(agent: Agent) -> str:
    if agent.archive_id is None:
        archive = Archive.objects.create(organization_id=agent.organization_id, name=f"{agent.name} archive")
        Agent.objects.filter(pk=agent.pk).update(archive=archive)
        agent.archive_id = archive.id
    return agent.archive_id


def attach_new_block(agent: Agent, label: str, value: str, actor: EditActor) -> str:
    block = memory_services.create_block(
        organization_id=agent.organization_id, label=label, value=value, actor=actor
    )
    attach_block(agent, block)
    return block.id


# Fields of an agent that `update_agent` changes as given; the others below need checks first.
_PLAIN_UPDATE_FIELDS = ("name", "description", "system", "tags", "metadata", "temperature", "max_tokens",
                        "parallel_tool_calls", "context_window_limit", "embedding", "timezone",
                        "message_buffer_autoclear", "secrets")


def check_model_handle(model: str) -> None:
    if "/" not in model:
        raise AgentConfigError(f"Model '{model}' is not a handle: use 'provider/model', e.g. 'openai/{model}'.")


@transaction.atomic
def update_agent(agent: Agent, **fields) -> Agent:
    """Change an agent's configuration (the API's PATCH). Only the fields passed change.

    The system message is recompiled at once when the template or rules change, so the context overview and the
    next run see the new prompt; block edits go through `memory.services` instead.
    """
    unknown = sorted(set(fields) - set(_PLAIN_UPDATE_FIELDS) - {"model", "tool_rules"})
    if unknown:
        raise AgentConfigError(f"Cannot update {', '.join(unknown)} of an agent.")
    if "model" in fields:
        check_model_handle(fields["model"])
    if "tool_rules" in fields:
        fields["tool_rules"] = fields["tool_rules"] or []
        parse_rules(fields["tool_rules"])  # refuse malformed rules before storing them
    for name in ("tags", "metadata", "secrets"):
        if name in fields and fields[name] is None:
            fields[name] = [] if name == "tags" else {}
    for name, value in fields.items():
        setattr(agent, name, value)
    agent.save()
    if {"system", "tool_rules"} & set(fields):
        refresh_system_message(agent)
    return agent


def delete_agent(agent: Agent) -> None:
    """Delete an agent with its messages, runs and steps. Its blocks and tools stay: they may be shared."""
    agent.delete()


def update_agent_block(agent: Agent, current_label: str, /, *, actor: EditActor, **fields) -> Block:
    """Edit the agent's block with this label (the API's core-memory PATCH) through `memory.services`.

    Label uniqueness among the agent's blocks is checked here because `memory` does not know agents.
    """
    block = agent_block(agent, current_label)
    new_label = fields.get("label")
    if new_label and new_label != current_label and agent.blocks.filter(label=new_label).exists():
        raise AgentConfigError(f"Agent already has a memory block labelled '{new_label}'; labels are unique.")
    return memory_services.update_block(block.id, actor=actor, **fields)


class BlockLabelNotFound(LookupError):
    def __init__(self, agent_id: str, label: str):
        super().__init__(f"Block with label '{label}' not found for agent {agent_id}.")


def agent_block(agent: Agent, label: str) -> Block:
    block = agent.blocks.filter(label=label).first()
    if block is None:
        raise BlockLabelNotFound(agent.id, label)
    return block
