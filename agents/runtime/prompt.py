"""The system message: the agent's instructions with its memory rendered in.

The rendered text is stored as the agent's system message and reused on every step, so a provider can cache the
prefix. It is recompiled only when what it was built from changes (a block, the rules, the template); the
fingerprint of those inputs tells.
"""

import hashlib
from dataclasses import dataclass
from datetime import datetime

from agents.system_prompts import LETTA_V1

CORE_MEMORY_MARKER = "{CORE_MEMORY}"
# The metadata section is re-stamped on every recompile, so readers find it by its tags, not its text.
METADATA_OPEN, METADATA_CLOSE = "<memory_metadata>", "</memory_metadata>"

# For an agent stored with an empty template (explicitly emptied, or created before agents got their type's
# default on create): the prompt a new agent gets.
DEFAULT_SYSTEM_PROMPT = LETTA_V1


@dataclass(frozen=True, slots=True)
class BlockView:
    label: str
    value: str
    description: str | None
    limit: int
    read_only: bool
    version: int = 1


@dataclass(frozen=True, slots=True)
class MemoryStats:
    recall_count: int = 0
    archival_count: int = 0
    last_memory_edit: datetime | None = None


def render_blocks(blocks: list[BlockView]) -> str:
    parts = ["<memory_blocks>", "The following memory blocks are currently engaged in your core memory unit:", ""]
    for block in blocks:
        metadata = []
        if block.read_only:
            metadata.append("- read_only=true")
        metadata += [f"- chars_current={len(block.value)}", f"- chars_limit={block.limit}"]
        parts += [
            f"<{block.label}>",
            "<description>",
            block.description or "",
            "</description>",
            "<metadata>",
            *metadata,
            "</metadata>",
            "<value>",
            block.value,
            "</value>",
            f"</{block.label}>",
            "",
        ]
    parts.append("</memory_blocks>")
    return "\n".join(parts)


def render_rules(rules_text: str) -> str:
    if not rules_text:
        return ""
    return (
        "<tool_usage_rules>\nThe following constraints define rules for tool usage and guide your actions:\n"
        f"{rules_text}\n</tool_usage_rules>"
    )


def render_metadata(agent_id: str, stats: MemoryStats, now: datetime, conversation_id: str | None = None) -> str:
    lines = [METADATA_OPEN, f"- AGENT_ID: {agent_id}"]
    if conversation_id:
        lines.append(f"- CONVERSATION_ID: {conversation_id}")
    lines.append(f"- System prompt last recompiled: {now:%Y-%m-%d %I:%M:%S %p %Z}")
    if stats.last_memory_edit:
        lines.append(f"- Memory blocks were last modified: {stats.last_memory_edit:%Y-%m-%d %I:%M:%S %p %Z}")
    lines.append(
        f"- {stats.recall_count} previous messages between you and the user are stored in recall memory "
        "(use tools to access them)"
    )
    if stats.archival_count:
        lines.append(
            f"- {stats.archival_count} total memories you created are stored in archival memory "
            "(use tools to access them)"
        )
    lines.append(METADATA_CLOSE)
    return "\n".join(lines)


def compile_system(
    *,
    template: str,
    agent_id: str,
    blocks: list[BlockView],
    rules_text: str,
    stats: MemoryStats,
    now: datetime,
    conversation_id: str | None = None,
) -> str:
    metadata = render_metadata(agent_id, stats, now, conversation_id)
    memory = "\n\n".join(section for section in (render_blocks(blocks), render_rules(rules_text), metadata) if section)
    template = template or DEFAULT_SYSTEM_PROMPT
    if CORE_MEMORY_MARKER in template:
        return template.replace(CORE_MEMORY_MARKER, memory)
    return f"{template}\n\n{memory}"


def fingerprint(*, template: str, blocks: list[BlockView], rules_text: str) -> str:
    """What the stored system message depends on, besides counters and the clock."""
    digest = hashlib.sha256(template.encode())
    for block in blocks:
        digest.update(f"\0{block.label}\0{block.version}\0{block.limit}\0{block.read_only}\0".encode())
        digest.update((block.description or "").encode())
        digest.update(block.value.encode())
    digest.update(rules_text.encode())
    return digest.hexdigest()
