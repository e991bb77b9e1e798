"""Conversations: threads of an agent beside its default one. Every surface (the API, the ADE) changes them through
these functions; the run loop reads them through `agents.threads`.

A new conversation starts with its own system message (compiled from the agent's shared memory, naming the
conversation); a fork copies the source thread's in-context messages into new rows of its own, so each thread's
history and recall search stay its own.
"""

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.errors import DomainError
from agents.models import Agent, ContextWindow, Conversation, Message
from agents.providers import ModelConfigError, resolve
from agents.runtime.errors import AgentBusyError
from agents.runtime.run_lifecycle import active_run_id
from agents.runtime.system_message import refresh_system_message, system_content

# The model settings a conversation may override; the others Letta's clients send are kept but unused.
EDITABLE = ("summary", "description", "model", "model_settings", "context_window_limit", "hidden")
MAX_SUMMARY_CHARS = 10_000


def _validate(fields: dict, organization_id: str) -> None:
    for name in ("summary", "description"):
        if fields.get(name) is not None and len(fields[name]) > MAX_SUMMARY_CHARS:
            raise DomainError(f"{name} is {len(fields[name])} characters; the most is {MAX_SUMMARY_CHARS}.")
    limit = fields.get("context_window_limit")
    if limit is not None and limit < 1_000:
        raise DomainError(f"context_window_limit must be at least 1000 tokens, not {limit}.")
    if fields.get("model"):
        try:
            resolve(fields["model"], organization_id)
        except ModelConfigError as exc:
            raise DomainError(str(exc)) from exc


def _start_context(conversation: Conversation, agent: Agent, messages: list[Message] = ()) -> None:
    """The conversation's context: its own system message, then `messages` (stored in it already), compiled once
    they are counted."""
    system = Message.objects.create(
        organization_id=agent.organization_id,
        agent=agent,
        conversation=conversation,
        role=Message.Role.SYSTEM,
        content=system_content(""),
    )
    conversation.replace_context([system, *messages], stored=1 + len(messages))
    conversation.agent = agent
    refresh_system_message(agent, force=True, thread=conversation)


@transaction.atomic
def create_conversation(agent: Agent, **fields) -> Conversation:
    values = {name: fields[name] for name in EDITABLE if fields.get(name) is not None}
    _validate(values, agent.organization_id)
    conversation = Conversation.objects.create(
        organization_id=agent.organization_id,
        agent=agent,
        **values,
    )
    _start_context(conversation, agent)
    return conversation


def update_conversation(conversation: Conversation, **fields) -> Conversation:
    """Change what a client may set; `archived` stamps (or clears) `archived_at`."""
    changed = {name: fields[name] for name in (*EDITABLE, "last_message_at") if name in fields}
    _validate(changed, conversation.organization_id)
    if "archived" in fields and fields["archived"] is not None:
        changed["archived"] = bool(fields["archived"])
        changed["archived_at"] = timezone.now() if changed["archived"] else None
    for name, value in changed.items():
        setattr(conversation, name, value)
    conversation.save(update_fields=[*changed, "updated_at"])
    return conversation


@transaction.atomic
def delete_conversation(conversation: Conversation) -> None:
    """Delete the conversation and its messages; refused while a run is writing to it."""
    Agent.objects.select_for_update().filter(pk=conversation.agent_id).exists()
    if run_id := active_run_id(conversation.agent_id, conversation.id):
        raise AgentBusyError(conversation.agent_id, run_id, conversation.id)
    conversation.delete()


@transaction.atomic
def fork_conversation(
    agent: Agent,
    source: ContextWindow,
    *,
    up_to_message_id: str | None = None,
    hidden: bool = False,
) -> Conversation:
    """A new conversation that starts where `source` (a conversation, or the agent's default thread) stands:
    copies of its in-context messages (up to and including `up_to_message_id`), under a fresh system message."""
    ids = source.message_ids[1:]
    if up_to_message_id is not None:
        if up_to_message_id not in ids:
            raise DomainError(f"Message {up_to_message_id} is not in the context of the thread being forked.")
        ids = ids[: ids.index(up_to_message_id) + 1]
    by_id = {m.id: m for m in Message.objects.filter(id__in=ids)}
    # A conversation's own settings go with its fork; the default thread has none beyond the agent's.
    inherited = {name: getattr(source, name) for name in EDITABLE if name != "hidden"} if source.conversation_id else {}
    fork = Conversation.objects.create(
        organization_id=agent.organization_id,
        agent=agent,
        hidden=hidden,
        forked_from=source if source.conversation_id else None,
        **inherited,
    )
    _start_context(fork, agent, _copy_messages([by_id[i] for i in ids if i in by_id], fork))
    return fork


def _copy_messages(messages: list[Message], fork: Conversation) -> list[Message]:
    """The rows, stored again as the fork's (new ids; an approval answer points at its request's copy). The rows
    passed are turned into the copies."""
    renamed: dict[str, str] = {}
    for message in messages:
        old_id = message.id
        message.pk = None
        message.id = Message._meta.get_field("id").default()
        message.conversation = fork
        if message.approval_request_id in renamed:
            message.approval_request_id = renamed[message.approval_request_id]
        message.save(force_insert=True)
        renamed[old_id] = message.id
    return messages


def conversations_of(organization_id: str, *, agent_id: str | None = None, archive_status: str = "unarchived"):
    """The conversations a list shows: the organization's (or one agent's), hidden ones left out."""
    rows = Conversation.objects.for_organization(organization_id).filter(hidden=False)
    if agent_id:
        rows = rows.filter(agent_id=agent_id)
    if archive_status == "unarchived":
        rows = rows.filter(archived=False)
    elif archive_status == "archived":
        rows = rows.filter(archived=True)
    return rows


def matching_summary(rows, text: str | None):
    """Conversations whose summary or description contains `text` (case-insensitive)."""
    if not text:
        return rows
    return rows.filter(Q(summary__icontains=text) | Q(description__icontains=text))


def touch(conversation_id: str) -> None:
    """A message request arrived: the conversation's `last_message_at`."""
    Conversation.objects.filter(pk=conversation_id).update(last_message_at=timezone.now())
