"""Sleep-time agents (Letta's `enable_sleeptime`): a background companion that tends an agent's memory.

Turning it on gives the primary a sleep-time agent (`<name>-sleeptime`, agent_type `sleeptime_agent`) holding the
very same Block rows as the primary, so an edit by either is the one value both see, and a `sleeptime` Group that
ties the two. After every `sleeptime_agent_frequency` finished turns of the primary, the sleep-time agent gets a
background run whose input is the primary's transcript since the last one it read; it edits the shared blocks with
the memory tools, each edit a revision naming it and its run. Turning it off deletes the group and the sleep-time
agent; the shared blocks stay with the primary.

The API (`enable_sleeptime`, /v1/groups) and the ADE's sleep-time panel call these functions.
"""

import logging

from asgiref.sync import sync_to_async
from django.db import transaction
from django.db.models import F

from agents import services
from agents.letta_messages import to_letta_messages
from agents.models import Agent, AgentType, Group, Message, Run
from agents.runtime import background
from agents.runtime.transcript import format_time
from memory.models import Block
from memory.services import EditActor

log = logging.getLogger(__name__)

# Letta's default: the sleep-time agent runs after every fifth turn of the primary.
DEFAULT_FREQUENCY = 5
MAX_FREQUENCY = 1000
# A transcript holds at most this many of the newest messages, each cut to this many characters: the sleep-time
# agent tends memory, it does not need a whole backlog in one context window.
TRANSCRIPT_MESSAGES = 100
TRANSCRIPT_MESSAGE_CHARS = 4000

PERSONA_LABEL = "memory_persona"
PERSONA = (
    "I am the sleep-time memory agent of the agent named in each transcript. I read its conversations after they "
    "happen and keep our shared memory blocks accurate, organized and free of repetition."
)


class SleeptimeError(services.AgentFieldError):
    """A sleep-time setting refused; `field` names it so a form shows the message beside it."""


def check_frequency(frequency) -> int:
    if isinstance(frequency, bool) or not isinstance(frequency, int) or not 1 <= frequency <= MAX_FREQUENCY:
        raise SleeptimeError(
            "sleeptime_agent_frequency",
            f"sleeptime_agent_frequency must be a whole number of turns from 1 to {MAX_FREQUENCY:,}, not "
            f"{frequency!r}: the sleep-time agent runs after every that many turns of the agent.",
        )
    return frequency


@transaction.atomic
def enable(
    agent: Agent, *, frequency: int | None = None, model: str | None = None, actor: EditActor | None = None
) -> Group:
    """Give the agent a sleep-time agent sharing all its blocks (on `model`, else the agent's); an agent that has
    one keeps it (with the new frequency, when one is given)."""
    if frequency is not None:
        check_frequency(frequency)
    if agent.agent_type == AgentType.SLEEPTIME:
        raise SleeptimeError("enable_sleeptime", "A sleep-time agent cannot have a sleep-time agent of its own.")
    group = Group.objects.select_for_update().filter(manager_agent=agent).first()
    if group is not None:
        if frequency is not None and frequency != group.sleeptime_agent_frequency:
            group.sleeptime_agent_frequency = frequency
            group.save(update_fields=["sleeptime_agent_frequency", "updated_at"])
        return group
    if model is not None:
        services.check_model_handle(model, agent.organization_id)
    shared = list(agent.blocks.all())
    persona = [] if any(b.label == PERSONA_LABEL for b in shared) else [{"label": PERSONA_LABEL, "value": PERSONA}]
    sleeper = services.create_agent(
        organization_id=agent.organization_id,
        name=f"{agent.name}-sleeptime",
        model=model or agent.model,
        agent_type=AgentType.SLEEPTIME,
        description=f"Tends the memory of agent {agent.name} between its turns.",
        memory_blocks=persona,
        block_ids=[b.id for b in shared],
        embedding=agent.embedding,
        timezone=agent.timezone,
        actor=actor,
    )
    return tie(agent, sleeper, frequency=frequency or DEFAULT_FREQUENCY, actor=actor)


def tie(
    agent: Agent, sleeper: Agent, *, frequency: int, description: str = "", actor: EditActor | None = None
) -> Group:
    """Make `sleeper` the sleep-time agent of `agent` (both exist: `enable` made the sleeper, or an agent file
    brought the pair). It starts with the turns after this moment, not the agent's whole past."""
    group = Group.objects.create(
        organization_id=agent.organization_id,
        manager_agent=agent,
        sleeptime_agent=sleeper,
        sleeptime_agent_frequency=check_frequency(frequency),
        description=description,
        last_processed_message_id=_last_message_id(agent.id),
        created_by_id=(actor or EditActor.api()).person_id,
    )
    agent.managed_group = group
    return group


def disable(agent: Agent) -> bool:
    """Take the agent's sleep-time agent away (with its group); False when it had none. The blocks it shared
    stay with the primary; a block only the sleep-time agent held (its persona) goes with it."""
    group = Group.objects.filter(manager_agent=agent).first()
    if group is None:
        return False
    delete_group(group)
    return True


@transaction.atomic
def delete_group(group: Group) -> None:
    sleeper = group.sleeptime_agent
    own = Block.objects.filter(agents=sleeper).exclude(agents__in=Agent.objects.exclude(pk=sleeper.pk))
    own_ids = list(own.values_list("id", flat=True))
    group.delete()
    services.delete_agent(sleeper)
    Block.objects.filter(id__in=own_ids).delete()


def update_group(group: Group, *, frequency=None, description: str | None = None) -> Group:
    """Change how often the sleep-time agent runs (`PATCH /v1/groups/{id}`' manager_config, the ADE's panel) and
    the group's description; what is not given stays. A refused frequency changes nothing."""
    fields = []
    if frequency is not None:
        group.sleeptime_agent_frequency = check_frequency(frequency)
        fields.append("sleeptime_agent_frequency")
    if description is not None:
        group.description = description
        fields.append("description")
    if fields:
        group.save(update_fields=[*fields, "updated_at"])
    return group


def share_block(agent: Agent, block: Block) -> None:
    """A block attached to the primary is attached to its sleep-time agent too (as Letta does), so the two keep
    sharing all of the primary's memory; a label the sleep-time agent already uses for another block is left."""
    group = Group.objects.filter(manager_agent=agent).select_related("sleeptime_agent").first()
    if group is not None and not group.sleeptime_agent.blocks.filter(label=block.label).exists():
        group.sleeptime_agent.blocks.add(block)


def unshare_block(agent: Agent, block: Block) -> None:
    group = Group.objects.filter(manager_agent=agent).select_related("sleeptime_agent").first()
    if group is not None:
        group.sleeptime_agent.blocks.remove(block)


def last_run(group: Group) -> Run | None:
    return Run.objects.filter(agent_id=group.sleeptime_agent_id).order_by("-created_at", "-id").first()


# ------------------------------------------------------------------------------------------ after each turn


async def after_turn(agent: Agent, run: Run) -> Run | None:
    """Count a finished turn of `agent`; on every `sleeptime_agent_frequency`-th, start its sleep-time agent's
    background run on the transcript since the last one and move the marker past it. Never raises: the primary's
    turn is over and answered whatever happens here."""
    if agent.agent_type == AgentType.SLEEPTIME or run.status != Run.Status.COMPLETED:
        return None
    if run.stop_reason == "requires_approval":
        return None  # the turn goes on once a person answers
    if Agent.managed_group.is_cached(agent) and agent.sleeptime_group is None:
        return None  # read with the run's agent (run_lifecycle.get_agent): it has none, no query needed
    try:
        due = await sync_to_async(_count_turn)(agent.id)
        if due is None:
            return None
        group, transcript, last_id = due
        started = await background.start_detached(
            agent_id=group.sleeptime_agent_id,
            organization_id=group.organization_id,
            messages=[{"role": "user", "content": transcript}],
        )
        await Group.objects.filter(pk=group.pk).aupdate(last_processed_message_id=last_id)
        return started
    except Exception:  # a busy or misconfigured sleep-time agent: the next due turn tries again, marker unmoved
        log.warning("the sleep-time agent of %s was not started", agent.id, exc_info=True)
        return None


def _count_turn(agent_id: str) -> tuple[Group, str, str] | None:
    group = Group.objects.filter(manager_agent_id=agent_id).select_related("manager_agent").first()
    if group is None:
        return None
    with transaction.atomic():
        Group.objects.filter(pk=group.pk).update(turns_counter=F("turns_counter") + 1)
        group.refresh_from_db(fields=["turns_counter", "sleeptime_agent_frequency", "last_processed_message_id"])
    if group.turns_counter % group.sleeptime_agent_frequency:
        return None
    rows = _new_messages(agent_id, group.last_processed_message_id)
    if not rows:
        return None
    return group, transcript(group.manager_agent, rows), rows[-1].id


def _new_messages(agent_id: str, after_id: str | None) -> list[Message]:
    messages = Message.objects.filter(agent_id=agent_id).exclude(role=Message.Role.SYSTEM)
    if after_id:
        marker = Message.objects.filter(id=after_id).values_list("sequence_id", flat=True).first()
        if marker is not None:
            messages = messages.filter(sequence_id__gt=marker)
    rows = list(messages.order_by("-sequence_id")[:TRANSCRIPT_MESSAGES])
    rows.reverse()
    return rows


def _last_message_id(agent_id: str) -> str | None:
    return Message.objects.filter(agent_id=agent_id).order_by("-sequence_id").values_list("id", flat=True).first()


def transcript(agent: Agent, rows: list[Message]) -> str:
    """The sleep-time agent's input: what the primary and its user said since it last looked, oldest first."""
    lines = []
    for row in rows:
        for part in to_letta_messages(row):
            line = _line(part)
            if line:
                lines.append(f"[{format_time(row.created_at)}] {line}")
    body = "\n".join(lines) or "(no new words, only tool activity)"
    return (
        f"You are reviewing the latest part of a conversation between the agent '{agent.name}' (whose memory you "
        "share) and its user; it already happened, so do not answer it. Read it, then update the shared memory "
        "blocks with what is worth remembering: new facts about the user, their preferences and plans, corrections "
        "of what the blocks say. Keep the blocks organized and free of repetition. Call memory_finish_edits when "
        "you are done, or at once if nothing needs changing.\n\n"
        f"<transcript>\n{body}\n</transcript>"
    )


def _line(part: dict) -> str | None:
    kind = part["message_type"]
    if kind == "user_message":
        speaker, text = "user", part.get("content")
    elif kind == "assistant_message":
        speaker, text = "assistant", part.get("content")
    elif kind == "tool_call_message":
        call = part.get("tool_call") or {}
        speaker, text = "assistant called tool", f"{call.get('name')}({call.get('arguments')})"
    else:
        return None
    if not isinstance(text, str):
        text = str(text)
    if len(text) > TRANSCRIPT_MESSAGE_CHARS:
        text = text[:TRANSCRIPT_MESSAGE_CHARS] + " […]"
    return f"{speaker}: {text}"
