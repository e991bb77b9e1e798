"""The agent's memory tools. Each resolves a label to a block and calls the one `memory.services` function for
that edit, so the limit, read-only and revision rules are the same as for the API and the ADE. A tool that changed
a block says so in its return value (`MemoryEdited`), which the executor hands back to the loop."""

import re
from typing import Literal

from memory import archival, services
from memory.rendering import edited_view
from tools.builtin.core_tools import ToolInputError, parse_date_arg
from tools.context import MemoryEdited, ToolContext

# Labels the agent invents become XML-like tags in the system prompt, so keep them to tag-safe characters.
_NEW_LABEL = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]{0,99}")


def memory_replace(ctx: ToolContext, label: str, old_string: str, new_string: str) -> MemoryEdited | str:
    """Replace a specific piece of text in a memory block with new text, for precise edits.

    old_string must appear exactly once in the block, copied verbatim (including whitespace). To rewrite a
    whole block use memory_rethink instead. Never include line numbers in either string.

    Args:
        label: Label of the memory block to edit, e.g. "human".
        old_string: The exact text to replace; it must occur exactly once in the block.
        new_string: The text to put in its place. Pass an empty string to delete old_string.
    """
    edit = services.memory_replace(_block_id(ctx, label), old_string, new_string, actor=_actor(ctx))
    return _edited(edit)


def memory_insert(ctx: ToolContext, label: str, new_string: str, insert_line: int = -1) -> MemoryEdited | str:
    """Insert text into a memory block, as new lines at a given position.

    Args:
        label: Label of the memory block to edit, e.g. "human".
        new_string: The text to insert. Do not include line numbers.
        insert_line: The line after which to insert: 0 inserts at the top, -1 (the default) at the end.
    """
    edit = services.memory_insert(_block_id(ctx, label), new_string, insert_line, actor=_actor(ctx))
    return _edited(edit)


def memory_rethink(ctx: ToolContext, label: str, new_memory: str) -> MemoryEdited | str:
    """Rewrite a whole memory block, to reorganize it or to condense it when it is getting full.

    The new text replaces everything in the block, so keep all the information that is still true and
    integrate the new. If no block has this label, a new block is created with it.

    Args:
        label: Label of the memory block to rewrite (or create), e.g. "human".
        new_memory: The complete new content of the block. Do not include line numbers.
    """
    if label in ctx.blocks or ctx.attach_new_block is None:
        edit = services.memory_rethink(_block_id(ctx, label), new_memory, actor=_actor(ctx))
        return _edited(edit)
    if not isinstance(label, str) or not _NEW_LABEL.fullmatch(label):
        raise ToolInputError(
            f"'{label}' cannot be a new block label: use letters, digits, '_', '-' or '.', starting with a letter "
            f"or '_' (at most 100 characters). Existing blocks: {', '.join(sorted(ctx.blocks)) or 'none'}."
        )
    services.check_no_line_numbers("new_memory", new_memory)
    block_id = ctx.attach_new_block(label, new_memory)
    ctx.blocks[label] = block_id
    return MemoryEdited(
        f"Created a new memory block with label `{label}` holding the new content ({len(new_memory):,} characters).",
        block_id,
    )


def memory_finish_edits(ctx: ToolContext) -> str:
    """Call this when you have finished editing memory, to end the memory editing session."""
    return "Memory edits finished."


def core_memory_append(ctx: ToolContext, label: str, content: str) -> MemoryEdited | str:
    """Append text to the end of a memory block, on a new line.

    Args:
        label: Label of the memory block to append to, e.g. "human".
        content: The text to append. All unicode (including emojis) is supported.
    """
    edit = services.core_memory_append(_block_id(ctx, label), content, actor=_actor(ctx))
    return _edited(edit)


def core_memory_replace(ctx: ToolContext, label: str, old_content: str, new_content: str) -> MemoryEdited | str:
    """Replace text in a memory block. Every occurrence of old_content is replaced.

    Args:
        label: Label of the memory block to edit, e.g. "human".
        old_content: The text to replace; must match exactly.
        new_content: The text to put in its place. Pass an empty string to delete old_content.
    """
    edit = services.core_memory_replace(_block_id(ctx, label), old_content, new_content, actor=_actor(ctx))
    return _edited(edit)


def archival_memory_insert(ctx: ToolContext, content: str, tags: list[str] | None = None) -> str:
    """Store information in long-term archival memory, to find it later with archival_memory_search.

    Store self-contained facts or summaries (not conversational fragments) that you may need in future
    conversations, such as meeting notes, decisions, events or reports.

    Args:
        content: The information to store, clear and self-contained.
        tags: Optional category tags to find it by later, e.g. ["meetings", "project-x"].
    """
    archive_id = _archive_id(ctx)
    passage = archival.insert_passage(
        archive_id=archive_id,
        organization_id=ctx.organization_id,
        text=content,
        tags=tags,
        embed_fn=ctx.embed_fn,
        embedding_model=ctx.embedding_model,
    )
    return f"Stored in archival memory (id {passage.id})."


def archival_memory_search(
    ctx: ToolContext,
    query: str,
    tags: list[str] | None = None,
    tag_match_mode: Literal["any", "all"] = "any",
    top_k: int | None = 5,
    start_datetime: str | None = None,
    end_datetime: str | None = None,
) -> list[dict]:
    """Search your long-term archival memory for information you stored earlier.

    Results are ranked by relevance: passages matching more of the query's words, and its rarer words, come
    first, and word forms match ("running" finds "run"). Use tags to narrow the search when you know the
    category.

    Args:
        query: What you are looking for, in a few words, e.g. "database migration timeline".
        tags: Only return memories with these tags; see tag_match_mode.
        tag_match_mode: "any" returns memories with any of the tags, "all" only those with all of them.
        top_k: The maximum number of results to return (default 5).
        start_datetime: Only memories stored on or after this moment, ISO 8601: "2024-01-15" or
            "2024-01-15T14:30". Times without a timezone are in your timezone.
        end_datetime: Only memories stored on or before this moment, ISO 8601 ("2024-01-20" covers the whole day).
    """
    start = parse_date_arg("start_datetime", start_datetime, ctx.timezone, end=False)
    end = parse_date_arg("end_datetime", end_datetime, ctx.timezone, end=True)
    if top_k is not None and top_k < 1:
        raise ToolInputError(f"top_k must be at least 1, not {top_k}.")
    return archival.search_passages(
        archive_ids=[_archive_id(ctx)],
        query=query,
        tags=tags,
        tag_match_mode=tag_match_mode or "any",
        top_k=top_k,
        start_datetime=start,
        end_datetime=end,
        embed_fn=ctx.embed_fn,
        embedding_model=ctx.embedding_model,
    )


# ------------------------------------------------------------------------------------------------- helpers


def _actor(ctx: ToolContext) -> services.EditActor:
    return services.EditActor.agent(ctx.agent_id, ctx.step_id, ctx.tool_call_id, ctx.tool_name)


def _block_id(ctx: ToolContext, label: str) -> str:
    try:
        return ctx.blocks[label]
    except (KeyError, TypeError):
        raise services.edit_error_for_unknown_label(label, ctx.blocks) from None


def _archive_id(ctx: ToolContext) -> str:
    if ctx.ensure_archive is None:
        raise ToolInputError("Archival memory is not available for this agent.")
    return ctx.ensure_archive()


def _edited(edit: services.BlockEdit) -> MemoryEdited | str:
    """The tool return after an edit: what the block holds now, so the model can check its work."""
    block = edit.block
    if edit.revision is None:
        return f"The memory block with label `{block.label}` already had this content; nothing was changed."
    heading, shown = edited_view(edit.revision.value_before, block.value)
    text = (
        f"The core memory block with label `{block.label}` has been edited "
        f"({len(block.value):,} of {block.limit:,} characters used). {heading}:\n{shown}\n\n"
        "Review the changes and make sure they are as expected (correct indentation, no duplicate lines, etc). "
        "Edit the memory block again if necessary."
    )
    return MemoryEdited(text, block.id)
