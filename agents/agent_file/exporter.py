"""Exporting an agent as a Letta agent file (.af): its configuration, memory blocks, tools and in-context messages,
and its sleep-time agent with their group when it has one.

Ids are file-local (`agent-0`, `block-0`, `tool-0`, `message-0`), numbered in a fixed order so exporting an
imported copy gives the same file back: blocks in the agent's memory order, tools by name (as Letta sorts
them), messages in context order. Secret values are blanked (keys kept, so the importer knows what to ask
for). Archival passages, runs and steps are not part of the format.
"""

from django.utils import timezone

from agents.agent_file.config import embedding_config, llm_config
from agents.models import Agent, Group, Message
from agents.runtime.transcript import packaged_return
from memory.models import Block

# Stands where Letta writes its database migration head; readers only check that it is there.
FORMAT_REVISION = "letta-django-1"


def export_agent(agent: Agent) -> dict:
    """The agent as an agent-file dict (JSON-serializable). An agent with a sleep-time agent is written with it
    (`agent-1`) and their `sleeptime` group (`group-0`), as Letta writes them; the blocks they share once."""
    group = Group.objects.filter(manager_agent=agent).select_related("sleeptime_agent").first()
    members = [agent] if group is None else [agent, group.sleeptime_agent]
    own_blocks = [list(Block.objects.filter(agents=a).order_by("created_at", "id")) for a in members]
    blocks = list({b.id: b for blocks_ in own_blocks for b in blocks_}.values())
    own_tools = [sorted(a.tools.all(), key=lambda t: (t.name, t.id)) for a in members]
    tools = sorted({t.id: t for tools_ in own_tools for t in tools_}.values(), key=lambda t: (t.name, t.id))
    contexts = [_context(a) for a in members]
    block_ids = {b.id: f"block-{n}" for n, b in enumerate(blocks)}
    tool_ids = {t.id: f"tool-{n}" for n, t in enumerate(tools)}
    message_ids = {m.id: f"message-{n}" for n, m in enumerate(m for context in contexts for m in context)}
    agents = []
    for n, member in enumerate(members):
        entry = _agent(
            member,
            f"agent-{n}",
            [block_ids[b.id] for b in own_blocks[n]],
            [tool_ids[t.id] for t in own_tools[n]],
            contexts[n],
            message_ids,
        )
        if group is not None and member is agent:
            # As Letta writes it: the group on its manager, and enable_sleeptime false (Letta, importing the
            # file, would otherwise make the agent a second sleep-time agent beside the file's own).
            entry["group_ids"] = ["group-0"]
        agents.append(entry)
    return {
        "agents": agents,
        "groups": [] if group is None else [_group(group, "group-0")],
        "blocks": [_block(b, block_ids[b.id]) for b in blocks],
        "files": [],
        "sources": [],
        "tools": [_tool(t, tool_ids[t.id]) for t in tools],
        "mcp_servers": [],
        "skills": [skill.entry for skill in agent.skills.all()],
        "metadata": {"revision_id": FORMAT_REVISION},
        "created_at": timezone.now().isoformat(),
    }


def _context(agent: Agent) -> list[Message]:
    by_id = {m.id: m for m in Message.objects.filter(agent=agent, id__in=agent.message_ids)}
    return [by_id[i] for i in agent.message_ids if i in by_id]


def _group(group: Group, file_id: str) -> dict:
    # Letta's GroupSchema: the sleep-time agent is the group's member, the primary its manager.
    return {
        "id": file_id,
        "agent_ids": ["agent-1"],
        "description": group.description,
        "manager_config": {
            "manager_type": "sleeptime",
            "manager_agent_id": "agent-0",
            "sleeptime_agent_frequency": group.sleeptime_agent_frequency,
        },
        "project_id": None,
        "shared_block_ids": [],
        "hidden": None,
    }


def _agent(
    agent: Agent,
    file_id: str,
    block_ids: list[str],
    tool_ids: list[str],
    messages: list[Message],
    message_ids: dict[str, str],
) -> dict:
    blank_secrets = {key: "" for key in agent.secrets or {}}
    # The CreateAgent fields Letta writes, in its order; model settings travel in llm_config, as Letta's do.
    return {
        "name": agent.name,
        "memory_blocks": [],
        "tools": [],
        "tool_ids": tool_ids,
        "source_ids": [],
        "folder_ids": None,
        "block_ids": block_ids,
        "tool_rules": agent.tool_rules,
        "tags": agent.tags,
        "system": agent.system,
        "agent_type": agent.agent_type,
        "llm_config": llm_config(agent),
        "embedding_config": embedding_config(agent),
        "initial_message_sequence": None,
        "include_base_tools": False,
        "include_multi_agent_tools": False,
        "include_base_tool_rules": False,
        "include_default_source": False,
        "description": agent.description,
        "metadata": agent.metadata,
        "model": None,
        "embedding": None,
        "context_window_limit": None,
        "embedding_chunk_size": None,
        "max_tokens": None,
        "max_reasoning_tokens": None,
        "enable_reasoner": False,
        "reasoning": None,
        "from_template": None,
        "template": False,
        "project": None,
        "tool_exec_environment_variables": blank_secrets,
        "secrets": dict(blank_secrets),
        "memory_variables": None,
        "project_id": None,
        "template_id": None,
        "base_template_id": None,
        "identity_ids": None,
        "message_buffer_autoclear": agent.message_buffer_autoclear,
        "enable_sleeptime": False,
        "response_format": None,
        "timezone": agent.timezone,
        "max_files_open": None,
        "per_file_view_window_char_limit": None,
        "hidden": None,
        "parallel_tool_calls": agent.parallel_tool_calls,
        "id": file_id,
        "in_context_message_ids": [message_ids[m.id] for m in messages],
        "messages": [_message(m, message_ids, file_id) for m in messages],
        "files_agents": [],
        "group_ids": [],
    }


def _message(message: Message, message_ids: dict[str, str], agent_file_id: str) -> dict:
    content = message.content
    if message.role == Message.Role.TOOL and not content and len(message.tool_returns or []) == 1:
        # Letta reads a tool result from the content too; write it as Letta packages it for the model.
        content = [{"type": "text", "text": packaged_return(message.tool_returns[0]), "signature": None}]
    # Letta has no summary role: it keeps a summary as a user message holding a system_alert, as our text is.
    role = "user" if message.role == Message.Role.SUMMARY else message.role
    return {
        "type": "message",
        "role": role,
        "content": content,
        "name": message.name,
        "otid": message.otid,
        "sender_id": message.sender_id,
        "batch_item_id": None,
        "group_id": None,
        "id": message_ids[message.id],
        "model": message.model,
        "agent_id": agent_file_id,
        "tool_calls": message.tool_calls,
        "tool_call_id": message.tool_call_id,
        "tool_returns": message.tool_returns or [],
        "created_at": message.created_at.isoformat(),
        "approve": message.approve,
        # The request an answer refers to, by its id in this file (None when it left the context).
        "approval_request_id": message_ids.get(message.approval_request_id) if message.approval_request_id else None,
        "denial_reason": message.denial_reason,
        "approvals": message.approvals or [],
        "is_err": message.is_err,
    }


def _block(block: Block, file_id: str) -> dict:
    return {
        "value": block.value,
        "limit": block.limit,
        "project_id": None,
        "template_name": None,
        "is_template": block.is_template,
        "template_id": None,
        "base_template_id": None,
        "deployment_id": None,
        "entity_id": None,
        "preserve_on_migration": False,
        "label": block.label,
        "read_only": block.read_only,
        "description": block.description,
        "metadata": block.metadata,
        "hidden": block.hidden,
        "tags": block.tags,
        "id": file_id,
    }


def _tool(tool, file_id: str) -> dict:
    return {
        "id": file_id,
        "tool_type": tool.tool_type,
        "description": tool.description,
        "source_type": tool.source_type,
        "name": tool.name,
        "tags": tool.tags,
        "source_code": tool.source_code,
        "json_schema": tool.json_schema,
        "args_json_schema": tool.args_json_schema,
        "return_char_limit": tool.return_char_limit,
        "pip_requirements": tool.pip_requirements,
        "npm_requirements": tool.npm_requirements,
        "default_requires_approval": tool.default_requires_approval,
        "enable_parallel_execution": tool.enable_parallel_execution,
        "created_by_id": None,
        "last_updated_by_id": None,
        "metadata_": tool.metadata,
    }
