"""Keeping the stored system message in step with the agent's memory.

Each thread (the agent's default one, each conversation) keeps its own system message, compiled from the agent's
shared blocks and rules with the thread's own counts; a thread whose message is stale is recompiled when it next
runs (or is shown)."""

from django.db.models import Max
from django.utils import timezone

from agents.models import Agent, ContextWindow, Message
from agents.runtime.prompt import BlockView, MemoryStats, compile_system, fingerprint
from memory.models import Block, Passage
from tools.rules import ToolRulesSolver, parse_rules


def block_views(agent: Agent) -> list[BlockView]:
    return views_of(agent_blocks(agent))


def agent_blocks(agent: Agent) -> list[Block]:
    """The agent's memory blocks, in the order the system message shows them."""
    return list(Block.objects.filter(agents=agent).order_by("created_at", "id"))


def views_of(blocks: list[Block]) -> list[BlockView]:
    return [BlockView(b.label, b.value, b.description, b.limit, b.read_only, b.version) for b in blocks]


def memory_stats(agent: Agent, thread: ContextWindow | None = None) -> MemoryStats:
    thread = thread or agent
    total = thread.message_count
    archival = Passage.objects.filter(archive_id=agent.archive_id).count() if agent.archive_id else 0
    last_edit = Block.objects.filter(agents=agent).aggregate(last=Max("updated_at"))["last"]
    return MemoryStats(
        recall_count=max(total - len(thread.message_ids), 0), archival_count=archival, last_memory_edit=last_edit
    )


def rules_text(agent: Agent) -> str:
    return ToolRulesSolver(parse_rules(agent.tool_rules)).render_for_prompt()


def render_system(
    agent: Agent, blocks: list[BlockView] | None = None, thread: ContextWindow | None = None
) -> tuple[str, str]:
    """The system text for the agent's thread (its default one unless given) as it is now, and the fingerprint of
    what it was built from."""
    thread = thread or agent
    blocks = block_views(agent) if blocks is None else blocks
    rules = rules_text(agent)
    text = compile_system(
        template=agent.system,
        agent_id=agent.id,
        conversation_id=thread.conversation_id,
        blocks=blocks,
        rules_text=rules,
        stats=memory_stats(agent, thread),
        now=timezone.now(),
    )
    return text, fingerprint(template=agent.system, blocks=blocks, rules_text=rules)


def is_current(thread: ContextWindow, blocks: list[BlockView], rules: str) -> bool:
    """Whether the thread's stored system message was built from the agent's present blocks, rules and template."""
    return thread.system_fingerprint == fingerprint(template=thread.agent.system, blocks=blocks, rules_text=rules)


def system_content(text: str) -> list[dict]:
    return [{"type": "text", "text": text}]


def refresh_system_message(
    agent: Agent, *, force: bool = False, thread: ContextWindow | None = None, blocks: list[BlockView] | None = None
) -> Message | None:
    """Recompile the system message of the agent's thread (its default one unless given) if memory, rules or the
    template changed (or when forced); `blocks`, the agent's block views when the caller read them already.

    Returns the updated message, or None when it was current. Callers run this inside their transaction.
    """
    thread = thread or agent
    blocks = block_views(agent) if blocks is None else blocks
    rules = rules_text(agent)
    if not force and is_current(thread, blocks, rules):
        return None
    text, print_ = render_system(agent, blocks, thread)
    message = Message.objects.get(id=thread.message_ids[0])
    message.content = system_content(text)
    message.text = text
    message.save(update_fields=["content", "text"])
    thread.system_fingerprint = print_
    type(thread).objects.filter(pk=thread.pk).update(system_fingerprint=print_)
    return message
