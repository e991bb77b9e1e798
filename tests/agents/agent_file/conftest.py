"""Agent files for the tests: Letta's real ones, and a builder for small files in the format's shapes."""

import json
from pathlib import Path

from agents.models import Agent, Message
from memory.models import Block
from tools.models import Tool

FIXTURE_DIR = Path(__file__).resolve().parents[4] / "shared" / "fixtures" / "agent-files"
FIXTURES = sorted(FIXTURE_DIR.glob("*.af"))


def load(path: Path) -> dict:
    """A fixture as a dict (some are double-encoded JSON, as some Letta versions wrote them)."""
    doc = json.loads(path.read_text())
    return json.loads(doc) if isinstance(doc, str) else doc


def text(value: str) -> list[dict]:
    return [{"type": "text", "text": value}]


def message(number: int, role: str, content="", created_at: str | None = None, **fields) -> dict:
    return {
        "type": "message",
        "id": f"message-{number}",
        "role": role,
        "content": content,
        "created_at": created_at or f"2025-06-01T10:00:{number:02d}+00:00",
        "tool_returns": [],
        "approvals": [],
        **fields,
    }


def call(call_id: str, name: str, arguments: dict | None = None) -> dict:
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": json.dumps(arguments or {})}}


BUILTIN_TOOLS = [
    {
        "id": "tool-0",
        "name": "memory_insert",
        "tool_type": "letta_sleeptime_core",
        "json_schema": {"name": "memory_insert"},
    },
    {
        "id": "tool-1",
        "name": "memory_replace",
        "tool_type": "letta_sleeptime_core",
        "json_schema": {"name": "memory_replace"},
    },
]
LOOKUP_SOURCE = '''def lookup(order_id: str) -> str:
    """Look up an order.

    Args:
        order_id: The order's number.
    """
    return "shipped"
'''
LOOKUP_TOOL = {
    "id": "tool-2",
    "name": "lookup",
    "tool_type": "custom",
    "source_type": "python",
    "source_code": LOOKUP_SOURCE,
    "description": "Look up an order.",
    "return_char_limit": 6000,
    "json_schema": {
        "name": "lookup",
        "description": "Look up an order.",
        "parameters": {"type": "object", "properties": {"order_id": {"type": "string"}}, "required": ["order_id"]},
    },
    "metadata_": {"origin": "test"},
}
SYSTEM_TEXT = "You help Ada.\n<memory_blocks>\n(compiled by Letta)\n</memory_blocks>"


def agent_file(*, blocks=None, tools=None, messages=None, in_context=None, **agent_fields) -> dict:
    """A one-agent file in the shape Letta writes, with a system message first unless `messages` says otherwise."""
    blocks = [{"id": "block-0", "label": "human", "value": "Name: Ada", "limit": 200}] if blocks is None else blocks
    tools = [*BUILTIN_TOOLS, LOOKUP_TOOL] if tools is None else tools
    messages = [message(0, "system", text(SYSTEM_TEXT))] if messages is None else messages
    agent = {
        "id": "agent-0",
        "name": "ada-helper",
        "agent_type": "letta_v1_agent",
        "system": "You help Ada.",
        "llm_config": {
            "model": "gpt-4.1-mini",
            "model_endpoint_type": "openai",
            "provider_name": "openai",
            "handle": "openai/gpt-4.1-mini",
            "context_window": 32000,
            "temperature": 0.5,
        },
        "embedding_config": None,
        "block_ids": [b["id"] for b in blocks],
        "tool_ids": [t["id"] for t in tools],
        "tool_rules": [],
        "tags": ["test"],
        "messages": messages,
        "in_context_message_ids": [m["id"] for m in messages] if in_context is None else in_context,
        **agent_fields,
    }
    return {
        "agents": [agent],
        "groups": [],
        "blocks": blocks,
        "files": [],
        "sources": [],
        "tools": tools,
        "mcp_servers": [],
        "metadata": {"revision_id": "test"},
        "created_at": "2025-06-01T10:00:00+00:00",
    }


def counts() -> tuple[int, int, int, int]:
    return Agent.objects.count(), Block.objects.count(), Tool.objects.count(), Message.objects.count()


def context_of(agent: Agent) -> list[Message]:
    rows = {m.id: m for m in Message.objects.filter(id__in=agent.message_ids)}
    return [rows[i] for i in agent.message_ids]
