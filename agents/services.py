"""Actions on agents: create, attach memory and tools, and the callables the loop hands to tools.

The API views, the ADE pages and the management commands all call these.
"""

from functools import partial

from django.conf import settings
from django.db import transaction

from accounts.errors import ConflictError, DomainError, NotFoundError
from agents import compaction_settings as compaction_settings_rules
from agents.model_choices import model_choices
from agents.models import DEFAULT_TEMPERATURE, MAX_STEPS, Agent, AgentType, ContextWindow, Message, Step
from agents.providers import ModelConfigError, context_window_for, resolve
from agents.runtime.errors import AgentBusyError
from agents.runtime.inputs import normalize, to_rows
from agents.runtime.run_lifecycle import active_run_id
from agents.runtime.system_message import (
    block_views,
    is_current,
    refresh_system_message,
    render_system,
    rules_text,
    system_content,
)
from agents.runtime.transcript import text_of
from agents.secrets import SecretNameError, check_names, merged
from agents.system_prompts import default_system_prompt
from memory import services as memory_services
from memory.models import Archive, Block
from memory.services import EditActor
from tools.builtin import BASE_TOOLS_BY_AGENT_TYPE, BASE_TOOLS_WITH_SLEEPTIME, TERMINAL_BY_DEFAULT
from tools.models import Tool
from tools.rules import merge_approval_rule, parse_rules
from tools.services import ensure_base_tools


class AgentConfigError(DomainError, ValueError):
    """The agent cannot be created or changed as asked; the message says why."""


def _sleeptime():
    # agents.sleeptime builds on these services (it creates and deletes the sleep-time agent through them).
    from agents import sleeptime

    return sleeptime


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
    system: str | None = None,
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
    secrets: dict | None = None,
    compaction_settings: dict | None = None,
    enable_sleeptime: bool | None = None,
    message_buffer_autoclear: bool = False,
    include_base_tool_rules: bool | None = None,
    initial_message_sequence: list[dict] | None = None,
    actor: EditActor | None = None,
) -> Agent:
    """Create an agent; with `enable_sleeptime` also its sleep-time agent and their group (agents.sleeptime).

    `initial_message_sequence` (Letta's MessageCreate list) starts its context after the system message; by
    default it starts with the system message alone. `include_base_tool_rules=False` leaves out the rules its
    agent type gets by default (a legacy agent's send_message ending its turn)."""
    model = model or settings.DEFAULT_MODEL
    if not model:
        raise AgentConfigError("Must specify a model handle such as 'openai/gpt-4.1-mini'.")
    if "/" not in model:
        raise AgentConfigError(f"Model '{model}' is not a handle: use 'provider/model', e.g. 'openai/{model}'.")
    if agent_type not in AgentType.values:
        raise AgentConfigError(f"Unknown agent_type '{agent_type}'. Valid: {', '.join(AgentType.values)}.")
    compaction_settings = checked_compaction_settings(compaction_settings, organization_id)
    actor = actor or EditActor.api()
    # Stored, not filled in at compile time, so a client that extends `agent.system` keeps the real prompt. Only
    # when left out, as Letta does: an explicit "" (or an agent file's) is kept as given.
    system = default_system_prompt(agent_type) if system is None else system
    opening = _opening_messages(initial_message_sequence)
    agent = Agent.objects.create(
        organization_id=organization_id,
        name=name,
        model=model,
        system=system,
        agent_type=agent_type,
        description=description,
        tags=tags or [],
        metadata=metadata or {},
        temperature=DEFAULT_TEMPERATURE if temperature is None else temperature,
        max_tokens=max_tokens,
        parallel_tool_calls=parallel_tool_calls,
        context_window_limit=context_window_limit,
        embedding=embedding,
        timezone=timezone,
        secrets=checked_secrets(secrets, {}),
        compaction_settings=compaction_settings,
        message_buffer_autoclear=message_buffer_autoclear,
        created_by_id=actor.person_id,
        last_updated_by_id=actor.person_id,
    )
    labels: set[str] = set()
    for spec in memory_blocks or []:
        block = memory_services.create_block(organization_id=organization_id, actor=actor, **spec)
        _attach(agent, block, labels)
    for block in _owned(Block, organization_id, block_ids or []):
        _attach(agent, block, labels)

    tool_names = list(BASE_TOOLS_BY_AGENT_TYPE.get(agent_type, [])) if include_base_tools else []
    if enable_sleeptime and include_base_tools and agent_type in (AgentType.MEMGPT, AgentType.MEMGPT_V2):
        # As in Letta: a legacy agent whose memory a sleep-time agent tends replies and searches, it edits no blocks.
        tool_names = list(BASE_TOOLS_WITH_SLEEPTIME)
    tool_names += [n for n in tools or [] if n not in tool_names]
    attached = _tools_by_name(organization_id, tool_names) + _owned(Tool, organization_id, tool_ids or [])
    agent.tools.add(*attached)
    base_rules = default_rules(agent_type, [t.name for t in attached]) if include_base_tool_rules is not False else []
    rules = tool_rules if tool_rules is not None else base_rules
    parse_rules(rules)  # refuse malformed rules before storing them
    agent.tool_rules = rules
    agent.save(update_fields=["tool_rules"])
    system_message = Message.objects.create(
        organization_id=organization_id, agent=agent, role=Message.Role.SYSTEM, content=system_content("")
    )
    for row in opening:
        row.organization_id, row.agent = organization_id, agent
    opening = Message.objects.bulk_create(opening)
    agent.replace_context([system_message, *opening], stored=1 + len(opening))
    refresh_system_message(agent, force=True)
    if enable_sleeptime:
        _sleeptime().enable(agent, actor=actor)
    return agent


def _owned(model, organization_id: str, ids: list[str]) -> list:
    found = {obj.id: obj for obj in model.objects.for_organization(organization_id).filter(id__in=ids)}
    missing = [i for i in ids if i not in found]
    if missing:
        raise AgentConfigError(f"{model.__name__} not found: {', '.join(missing)}.")
    return [found[i] for i in ids]


def _tools_by_name(organization_id: str, names: list[str]) -> list[Tool]:
    from tools.builtin import BUILTIN_TOOLS

    builtins = [n for n in names if n in BUILTIN_TOOLS]
    found = {t.name: t for t in ensure_base_tools(organization_id, builtins)}
    found.update({t.name: t for t in Tool.objects.for_organization(organization_id).filter(name__in=names)})
    missing = [n for n in names if n not in found]
    if missing:
        # Letta's wording, a Python set of the names: Letta Code recognises it and adds the base tools, then retries.
        names = "{" + ", ".join(repr(n) for n in sorted(set(missing))) + "}"
        raise AgentConfigError(f"Tools not found by name: {names}. Create them first or check the names.")
    return [found[n] for n in names]


class BlockLabelConflict(ConflictError, AgentConfigError):
    """An agent would hold two blocks with one label (the reference's unique constraint)."""

    def __init__(self, agent: Agent, label: str):
        super().__init__(
            f"Agent {agent.id} already has a memory block labelled '{label}'; labels are unique per agent. "
            "Detach that block first, or relabel one of them."
        )


class BlockNotAttached(NotFoundError, LookupError):
    def __init__(self, agent: Agent, block: Block):
        super().__init__(f"Block {block.id} ('{block.label}') is not attached to agent {agent.id}.")


def _opening_messages(sequence: list[dict] | None) -> list[Message]:
    """Unsaved rows for `initial_message_sequence`: messages as a send takes them, nothing else (no approvals)."""
    inputs = normalize(sequence) if sequence else []
    if any(item["type"] != "message" for item in inputs):
        raise AgentConfigError("initial_message_sequence holds messages only ({'role': ..., 'content': ...}).")
    return to_rows(inputs)


def _attach(agent: Agent, block: Block, labels: set[str]) -> None:
    _claim_label(agent, block, labels)
    agent.blocks.add(block)


def _claim_label(agent: Agent, block: Block, labels: set[str]) -> None:
    if block.label in labels:
        raise BlockLabelConflict(agent, block.label)
    labels.add(block.label)


@transaction.atomic
def attach_block(agent: Agent, block: Block) -> None:
    """Give the agent a block (shared with its other agents, if any); attaching it again changes nothing."""
    if agent.blocks.filter(label=block.label).exclude(pk=block.pk).exists():
        raise BlockLabelConflict(agent, block.label)
    agent.blocks.add(block)
    _sleeptime().share_block(agent, block)
    refresh_system_message(agent)


@transaction.atomic
def detach_block(agent: Agent, block: Block) -> None:
    """Take the block out of the agent's memory; the block itself stays (other agents may share it)."""
    if not agent.blocks.filter(pk=block.pk).exists():
        raise BlockNotAttached(agent, block)
    agent.blocks.remove(block)
    _sleeptime().unshare_block(agent, block)
    refresh_system_message(agent)


def _refresh_sharing(block_id: str) -> None:
    """Recompile the system message of every agent holding the block, so each shows the block as it is now."""
    for agent in Agent.objects.filter(blocks__id=block_id):
        if agent.message_ids:
            refresh_system_message(agent)


@transaction.atomic
def update_block(block: Block, *, actor: EditActor, expected_version: int | None = None, **fields) -> Block:
    """Edit a block through `memory.services` (limit, read-only, revision) for every agent that holds it.

    A new label must stay unique in each of those agents; their system messages are recompiled at once.
    `expected_version` refuses the edit when the block changed since it was loaded (see memory.services).
    """
    new_label = fields.get("label")
    if new_label and new_label != block.label:
        clash = Agent.objects.filter(blocks__id=block.id).filter(blocks__label=new_label).first()
        if clash is not None:
            raise BlockLabelConflict(clash, new_label)
    edit = memory_services.update_block(block.id, actor=actor, expected_version=expected_version, **fields)
    if edit.changed:
        _refresh_sharing(block.id)
    return edit.block


@transaction.atomic
def restore_block_revision(block: Block, version: int, *, actor: EditActor) -> Block:
    """Bring back the value a block had at `version`, as a new revision, for every agent that holds it."""
    edit = memory_services.restore_revision(block.id, version, actor=actor)
    if edit.changed:
        _refresh_sharing(block.id)
    return edit.block


@transaction.atomic
def delete_block(block: Block) -> None:
    """Delete a block after detaching it from every agent (whose prompts then no longer show it)."""
    holders = list(Agent.objects.filter(blocks__id=block.id))
    block.agents.clear()
    block.delete()
    for agent in holders:
        if agent.message_ids:
            refresh_system_message(agent)


@transaction.atomic
def attach_tool(agent: Agent, tool: Tool) -> None:
    """Give the agent a tool; a tool that asks for approval by default gets the agent's requires_approval rule."""
    agent.tools.add(tool)
    if tool.default_requires_approval:
        agent.tool_rules = merge_approval_rule(agent.tool_rules, tool.name, True)
        agent.save(update_fields=["tool_rules", "updated_at"])


@transaction.atomic
def detach_tool(agent: Agent, tool: Tool) -> None:
    """Take the tool from the agent, and with it the agent's approval rule for the tool."""
    agent.tools.remove(tool)
    agent.tool_rules = merge_approval_rule(agent.tool_rules, tool.name, False)
    agent.save(update_fields=["tool_rules", "updated_at"])


class ToolNameNotFound(NotFoundError, LookupError):
    def __init__(self, agent_id: str, tool_name: str):
        super().__init__(f"Agent {agent_id} has no tool named '{tool_name}'.")


def set_tool_approval(agent: Agent, tool_name: str, requires_approval: bool) -> None:
    """Whether the agent must ask a person before each call of its tool `tool_name` (a requires_approval rule)."""
    if not agent.tools.filter(name=tool_name).exists():
        raise ToolNameNotFound(agent.id, tool_name)
    agent.tool_rules = merge_approval_rule(agent.tool_rules, tool_name, requires_approval)
    agent.save(update_fields=["tool_rules", "updated_at"])


def ensure_archive(agent: Agent) -> str:
    if agent.archive_id is None:
        archive = Archive.objects.create(organization_id=agent.organization_id, name=f"{agent.name} archive")
        Agent.objects.filter(pk=agent.pk).update(archive=archive)
        agent.archive_id = archive.id
    return agent.archive_id


class ArchiveConflict(ConflictError, AgentConfigError):
    def __init__(self, agent: Agent, archive_id: str):
        super().__init__(
            f"Agent {agent.id} already has archive {archive_id} attached; an agent has one archive. Detach it "
            f"first (PATCH /v1/agents/{agent.id}/archives/detach/{archive_id})."
        )


class ArchiveNotAttached(NotFoundError, LookupError):
    def __init__(self, agent: Agent, archive: Archive):
        super().__init__(f"Archive {archive.id} is not attached to agent {agent.id}.")


def attach_archive(agent: Agent, archive: Archive) -> None:
    """Point the agent's archival memory at `archive` (which other agents may share); attaching it again changes
    nothing. The update is conditional, so two concurrent attaches cannot both win."""
    if not Agent.objects.filter(pk=agent.pk, archive__isnull=True).update(archive=archive):
        current = Agent.objects.filter(pk=agent.pk).values_list("archive_id", flat=True).get()
        if current != archive.id:
            raise ArchiveConflict(agent, current)
    agent.archive_id = archive.id


def detach_archive(agent: Agent, archive: Archive) -> None:
    """Take the archive out of the agent's archival memory; the archive and its passages stay."""
    if not Agent.objects.filter(pk=agent.pk, archive=archive).update(archive=None):
        raise ArchiveNotAttached(agent, archive)
    agent.archive_id = None


@transaction.atomic
def attach_new_block(agent: Agent, label: str, value: str, actor: EditActor, **fields) -> str:
    """Create a block (`fields`: description, limit, read_only) and attach it; a label the agent already has is
    refused with `BlockLabelConflict` and nothing is stored."""
    block = memory_services.create_block(
        organization_id=agent.organization_id, label=label, value=value, actor=actor, **fields
    )
    attach_block(agent, block)
    return block.id


# Fields of an agent that `update_agent` changes as given; the others below need checks first.
_PLAIN_UPDATE_FIELDS = (
    "name",
    "description",
    "system",
    "tags",
    "metadata",
    "temperature",
    "max_tokens",
    "parallel_tool_calls",
    "context_window_limit",
    "max_steps",
    "embedding",
    "timezone",
    "message_buffer_autoclear",
    "secrets",
    "compaction_settings",
)


class AgentFieldError(AgentConfigError):
    """A value refused for one field of an agent; `field` names it, so a form shows the message beside it (the
    API answers with the message alone)."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


class SecretNameRefused(AgentFieldError):
    """A secret's name refused; `name` says which, so a form with a row per secret shows the message beside it."""

    def __init__(self, name: str, message: str):
        super().__init__("secrets", message)
        self.name = name


def checked_secrets(given: dict | None, current: dict | None) -> dict[str, str]:
    """The secrets to store when `given` replaces `current` (agents.secrets: names checked, masked values kept)."""
    try:
        check_names(given, current)
    except SecretNameError as exc:
        raise SecretNameRefused(exc.name, str(exc)) from exc
    return merged(current, given)


def check_model_handle(model: str, organization_id: str | None = None) -> None:
    """Refuse a handle that is not `provider/model`, or (given the organization) whose provider it cannot use:
    the loop would refuse it at the first send (`agents.providers.resolve` says what to configure)."""
    if "/" not in model:
        raise AgentFieldError("model", f"Model '{model}' is not a handle: use 'provider/model', e.g. 'openai/{model}'.")
    if organization_id is not None:
        try:
            resolve(model, organization_id)
        except ModelConfigError as exc:
            raise AgentFieldError("model", str(exc)) from exc


def max_context_window(model: str, organization_id: str) -> int:
    """The largest context window an agent on `model` may set: what its provider lists (`max_context_window` of
    `GET /v1/models/`, kept a minute by the pickers' cache), else what the model's name tells."""
    listed = next((c.context_window for c in model_choices(organization_id) if c.handle == model), None)
    return listed or context_window_for(model, None)


def check_context_window(model: str, limit: int | None, organization_id: str) -> None:
    if limit is None:
        return
    if limit < 1:
        raise AgentFieldError("context_window_limit", "The context window must be at least 1 token.")
    maximum = max_context_window(model, organization_id)
    if limit > maximum:
        raise AgentFieldError(
            "context_window_limit",
            f"A context window of {limit:,} tokens is more than {model} takes: its maximum is {maximum:,} tokens.",
        )


def checked_compaction_settings(value: dict | None, organization_id: str | None) -> dict | None:
    try:
        return compaction_settings_rules.clean(value, organization_id)
    except compaction_settings_rules.CompactionSettingsError as exc:
        raise AgentFieldError("compaction_settings", str(exc)) from exc


def check_temperature(temperature) -> None:
    # The range every provider this server speaks to accepts (OpenAI's; Anthropic's is narrower and says so).
    if temperature is None or not 0 <= temperature <= 2:
        raise AgentFieldError("temperature", f"Temperature must be between 0 and 2, not {temperature}.")


def check_max_steps(max_steps: int | None) -> None:
    if max_steps is not None and not 1 <= max_steps <= MAX_STEPS:
        raise AgentFieldError("max_steps", f"Max steps must be between 1 and {MAX_STEPS:,}, not {max_steps:,}.")


def update_agent(agent: Agent, **fields) -> Agent:
    """Change an agent's configuration (the API's PATCH, the ADE's settings panel). Only the fields passed change.

    Everything is checked before anything is written (listing a provider's models may take a network call, which
    must not hold the database's write lock). Switching the model changes nothing else: blocks, tools and
    messages stay. A context window above the model's maximum is refused, whether the window or the model is
    what changes. The system message is recompiled at once when the template or rules change, so the context
    overview and the next run see the new prompt; block edits go through `memory.services` instead.
    """
    enable_sleeptime = fields.pop("enable_sleeptime", None)
    block_ids, tool_ids = fields.pop("block_ids", None), fields.pop("tool_ids", None)
    unknown = sorted(set(fields) - set(_PLAIN_UPDATE_FIELDS) - {"model", "tool_rules"})
    if unknown:
        raise AgentConfigError(f"Cannot update {', '.join(unknown)} of an agent.")
    if "model" in fields:
        check_model_handle(fields["model"], agent.organization_id)
    if "temperature" in fields:
        check_temperature(fields["temperature"])
    if "max_steps" in fields:
        check_max_steps(fields["max_steps"])
    if "compaction_settings" in fields:
        fields["compaction_settings"] = checked_compaction_settings(
            fields["compaction_settings"], agent.organization_id
        )
    if {"model", "context_window_limit"} & set(fields):
        model = fields.get("model", agent.model)
        check_context_window(
            model, fields.get("context_window_limit", agent.context_window_limit), agent.organization_id
        )
    if "tool_rules" in fields:
        fields["tool_rules"] = fields["tool_rules"] or []
        parse_rules(fields["tool_rules"])  # refuse malformed rules before storing them
    for name in ("tags", "metadata", "secrets"):
        if name in fields and fields[name] is None:
            fields[name] = [] if name == "tags" else {}
    if "secrets" in fields:
        fields["secrets"] = checked_secrets(fields["secrets"], agent.secrets)
    blocks = None if block_ids is None else _owned(Block, agent.organization_id, block_ids)
    if blocks is not None:
        _check_labels_unique(agent, blocks)
    tools = None if tool_ids is None else _owned(Tool, agent.organization_id, tool_ids)
    with transaction.atomic():
        agent = _save_agent(agent, fields)
        if blocks is not None:
            _replace_blocks(agent, blocks)
        if tools is not None:
            _replace_tools(agent, tools)
        if enable_sleeptime:
            _sleeptime().enable(agent)
        elif enable_sleeptime is False:
            _sleeptime().disable(agent)
    return agent


def _check_labels_unique(agent: Agent, blocks: list[Block]) -> None:
    labels: set[str] = set()
    for block in blocks:
        _claim_label(agent, block, labels)


def _replace_blocks(agent: Agent, blocks: list[Block]) -> None:
    """The agent's blocks become `blocks` (Letta's `block_ids` on update), each detached or attached as one would be
    alone, so the sleep-time agent's sharing and the system message follow."""
    _replace(agent.blocks, blocks, attach=partial(attach_block, agent), detach=partial(detach_block, agent))


def _replace_tools(agent: Agent, tools: list[Tool]) -> None:
    """The agent's tools become `tools` (Letta's `tool_ids` on update), with their approval rules."""
    _replace(agent.tools, tools, attach=partial(attach_tool, agent), detach=partial(detach_tool, agent))


def _replace(held, wanted: list, *, attach, detach) -> None:
    for gone in held.exclude(pk__in=[item.pk for item in wanted]):
        detach(gone)
    kept = set(held.values_list("pk", flat=True))
    for item in wanted:
        if item.pk not in kept:
            attach(item)


@transaction.atomic
def _save_agent(agent: Agent, fields: dict) -> Agent:
    for name, value in fields.items():
        setattr(agent, name, value)
    agent.save()
    if {"system", "tool_rules"} & set(fields):
        refresh_system_message(agent)
    return agent


@transaction.atomic
def delete_agent(agent: Agent) -> None:
    """Delete an agent with its messages, runs and steps, and its sleep-time agent if it has one. Its blocks and
    tools stay: they may be shared."""
    _sleeptime().disable(agent)
    agent.delete()


def update_agent_block(agent: Agent, current_label: str, /, *, actor: EditActor, **fields) -> Block:
    """Edit the agent's block with this label (the API's core-memory PATCH); see `update_block`."""
    return update_block(agent_block(agent, current_label), actor=actor, **fields)


class BlockLabelNotFound(NotFoundError, LookupError):
    def __init__(self, agent_id: str, label: str):
        super().__init__(f"Block with label '{label}' not found for agent {agent_id}.")


def agent_block(agent: Agent, label: str) -> Block:
    block = agent.blocks.filter(label=label).first()
    if block is None:
        raise BlockLabelNotFound(agent.id, label)
    return block


@transaction.atomic
def reset_messages(agent: Agent, *, add_default_initial_messages: bool = False) -> Agent:
    """Empty the context window down to the system message. Stored messages stay: recall memory still finds them.

    Refused while a run is active, since that run is writing to the buffer being cleared. This server starts
    agents with no messages besides the system message, so `add_default_initial_messages` adds nothing.
    """
    # Lock the agent row: a run that starts meanwhile finds its buffer reset or waits behind this change.
    agent = Agent.objects.select_for_update().get(pk=agent.pk)
    if run_id := active_run_id(agent.id):
        raise AgentBusyError(agent.id, run_id)
    agent.reset_context()
    # The memory metadata now counts the cleared messages as recall memory.
    refresh_system_message(agent, force=True)
    return agent


def recompile_system(
    agent: Agent, *, update_timestamp: bool = False, dry_run: bool = False, thread: ContextWindow | None = None
) -> str:
    """The system prompt of the agent's thread (its default one unless given), recompiled from its blocks, rules
    and template.

    The prompt is rewritten when what it is built from changed, or always with `update_timestamp` (which
    re-stamps the recompile time in its memory metadata). `dry_run` stores nothing and returns what would be.
    """
    thread = thread or agent
    current = is_current(thread, block_views(agent), rules_text(agent))
    if dry_run:
        return (
            _stored_system_text(thread) if current and not update_timestamp else render_system(agent, None, thread)[0]
        )
    with transaction.atomic():
        refresh_system_message(agent, force=update_timestamp, thread=thread)
    return _stored_system_text(thread)


def _stored_system_text(thread: ContextWindow) -> str:
    return text_of(Message.objects.get(id=thread.message_ids[0]).content)


_KEEP = object()
FEEDBACK_VALUES = ("positive", "negative")
# A note beside a verdict, not a document: long enough for a paragraph on what went wrong.
FEEDBACK_COMMENT_MAX = 2000


class FeedbackError(DomainError, ValueError):
    status_code = 422


def record_step_feedback(
    step: Step, *, feedback: str | None = _KEEP, tags: list[str] | None = None, comment: str | None = _KEEP
) -> Step:
    """A person's verdict on a step: `feedback` ("positive", "negative", or None to clear it) replaces the last
    one when given; `tags` are added to the step's tags (each once); `comment` (blank or None clears it) replaces
    the last one when given. A refused comment or verdict changes nothing."""
    fields = []
    if feedback is not _KEEP and feedback is not None and feedback not in FEEDBACK_VALUES:
        raise FeedbackError(f"Feedback must be 'positive', 'negative' or null, not {feedback!r}.")
    if comment is not _KEEP:
        comment = (comment or "").strip() or None
        if comment and len(comment) > FEEDBACK_COMMENT_MAX:
            raise FeedbackError(
                f"The comment is {len(comment):,} characters long; keep it to {FEEDBACK_COMMENT_MAX:,} or fewer."
            )
        step.feedback_comment = comment
        fields.append("feedback_comment")
    if feedback is not _KEEP:
        step.feedback = feedback
        fields.append("feedback")
    if tags:
        step.tags = [*step.tags, *(t for t in tags if t not in step.tags)]
        fields.append("tags")
    if fields:
        step.save(update_fields=[*fields, "updated_at"])
    return step
