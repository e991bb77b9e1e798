"""Every change to a memory block, as one function per action.

The memory tools, the REST API and the ADE pages all call these, so the rules (limit, read-only, one revision per
change) live here once. Each function locks the block row and re-reads it inside a transaction: on PostgreSQL the
row lock orders concurrent writers, on SQLite the IMMEDIATE transaction does, so two edits of a shared block both
land. A refused edit raises a `MemoryEditError` and changes nothing. Each edit returns a `BlockEdit`: the block as
it is now and the BlockRevision it wrote, or None when the edit changed nothing (no version bump then).
"""

import re
from dataclasses import asdict, dataclass

from django.conf import settings
from django.db import transaction

from accounts.errors import ConflictError, DomainError, NotFoundError
from memory.models import CORE_MEMORY_BLOCK_CHAR_LIMIT, DEFAULT_DESCRIPTIONS, Block, BlockRevision

# Shown beside line-numbered views of a block; a model that copies it back into an edit has misread the view.
LINE_NUMBER_WARNING = (
    "# NOTE: Line numbers shown below (with arrows like '1→') are to help during editing. "
    "Do NOT include line number prefixes in your memory edit tool calls."
)
_LINE_NUMBER_PREFIX = re.compile(r"^\s*\d+→\s*", re.MULTILINE)
_LABEL_MAX_LENGTH = Block._meta.get_field("label").max_length
UPDATABLE_FIELDS = ("value", "label", "description", "limit", "read_only", "metadata", "tags", "hidden", "is_template")


@dataclass(frozen=True)
class EditActor:
    """Who makes an edit, recorded on the revision. `memory` knows no agents: the caller passes plain ids.

    Its fields are BlockRevision's columns of the same names, so a revision records the actor whole."""

    actor_type: str
    actor_id: str | None = None
    agent_id: str | None = None
    step_id: str | None = None
    tool_call_id: str | None = None
    tool_name: str | None = None

    def __post_init__(self):
        if self.actor_type not in BlockRevision.Actor.values:
            choices = ", ".join(BlockRevision.Actor.values)
            raise ValueError(f"Unknown actor_type '{self.actor_type}'; use one of {choices}.")

    @property
    def person_id(self) -> str | None:
        """The id for created_by/last_updated_by, which name people (as in Letta), not agents."""
        return self.actor_id if self.actor_type in ("user", "api") else None

    @classmethod
    def api(cls, actor_id: str | None = None) -> "EditActor":
        return cls("api", actor_id=actor_id)

    @classmethod
    def user(cls, user_id: str | None) -> "EditActor":
        return cls("user", actor_id=user_id)

    @classmethod
    def system(cls) -> "EditActor":
        return cls("system")

    @classmethod
    def agent(
        cls, agent_id: str, step_id: str | None = None, tool_call_id: str | None = None, tool_name: str | None = None
    ) -> "EditActor":
        return cls(
            "agent",
            actor_id=agent_id,
            agent_id=agent_id,
            step_id=step_id,
            tool_call_id=tool_call_id,
            tool_name=tool_name,
        )


@dataclass(frozen=True, slots=True)
class BlockEdit:
    """What an edit did: the block as it is now, and the revision it wrote (None when nothing changed)."""

    block: Block
    revision: BlockRevision | None

    @property
    def changed(self) -> bool:
        return self.revision is not None


class MemoryEditError(DomainError):
    """A memory change refused for a reason the caller can fix; `str()` is the message for the model or user."""


class BlockNotFoundError(MemoryEditError):
    pass


class BlockReadOnlyError(MemoryEditError):
    pass


class BlockLimitError(MemoryEditError):
    pass


class TextNotFoundError(MemoryEditError):
    pass


class TextNotUniqueError(MemoryEditError):
    pass


class InvalidEditError(MemoryEditError):
    pass


class RevisionNotFoundError(NotFoundError, InvalidEditError):
    """A version the block never had (404 on the API)."""


class BlockVersionConflict(ConflictError, MemoryEditError):
    """The block changed since the caller loaded it (another tab, the agent, the API): nothing was written.

    `block` is the block as stored now, so the caller can show both versions and offer to save over it."""

    def __init__(self, block: Block, expected_version: int):
        super().__init__(
            f"Memory block '{block.label}' was changed since you loaded it (you loaded version {expected_version}, "
            f"it is now at version {block.version}). Compare both versions, then save yours over it or keep the "
            "stored one.",
            current_version=block.version,
        )
        self.block = block


def edit_error_for_unknown_label(label: str, available_labels) -> BlockNotFoundError:
    labels = sorted(available_labels)
    available = ", ".join(labels) if labels else "none (this agent has no memory blocks)"
    return BlockNotFoundError(f"Memory block '{label}' does not exist. Available blocks: {available}.")


def check_no_line_numbers(name: str, text: str) -> None:
    """Refuse text that carries the view-only line numbers of a rendered block."""
    if _LINE_NUMBER_PREFIX.search(text):
        raise InvalidEditError(
            f"{name} contains a line number prefix (like '3→ '), which is not allowed. Line numbers are for "
            "display only: pass just the text of the block."
        )
    if LINE_NUMBER_WARNING in text:
        raise InvalidEditError(
            f"{name} contains the line number warning, which is not allowed. Pass just the text of the block."
        )


# ------------------------------------------------------------------------------------------- creating, updating


def create_block(
    *,
    organization_id: str,
    label: str,
    value: str = "",
    description: str | None = None,
    limit: int | None = None,
    read_only: bool = False,
    metadata: dict | None = None,
    tags: list | None = None,
    hidden: bool = False,
    is_template: bool = False,
    allow_over_limit: bool = False,
    actor: EditActor,
) -> Block:
    """A new block, with revision 1 recording its first value (`block.revisions`; a new block always has it).

    `allow_over_limit` is for importing agent files: Letta never enforced limits, so its blocks may be longer than
    their limit; such a block keeps its value and limit and then only accepts edits that do not make it longer.
    """
    label = _label(label)
    value = _text("value", value if value is not None else "")
    limit = _default_limit() if limit is None else _limit(limit)
    _check_cap(label, value)
    if not allow_over_limit and len(value) > limit:
        raise BlockLimitError(
            f"Memory block '{label}' would have {len(value):,} characters, over its limit of {limit:,}. "
            "Shorten the value or raise the limit."
        )
    if description is None:
        description = DEFAULT_DESCRIPTIONS.get(label)
    fields = {
        "label": label,
        "description": description,
        "limit": limit,
        "read_only": bool(read_only),
        "metadata": metadata or {},
        "tags": tags or [],
        "hidden": bool(hidden),
        "is_template": bool(is_template),
    }
    with transaction.atomic():
        block = Block.objects.create(
            organization_id=organization_id,
            value=value,
            version=1,
            created_by_id=_person(actor),
            last_updated_by_id=_person(actor),
            **fields,
        )
        _record(
            block, actor, value_before="", field_changes={k: {"before": None, "after": v} for k, v in fields.items()}
        )
    return block


def update_block(block_id: str, *, actor: EditActor, expected_version: int | None = None, **fields) -> BlockEdit:
    """Change any of `UPDATABLE_FIELDS`; the limit holds for the new value and the new limit together.

    Pass only the fields the caller set: None means "reset" (limit to the default, metadata and tags to empty).
    Label uniqueness among an agent's blocks is the caller's to check; `memory` does not know agents.
    With `expected_version` (the version a form was loaded at) the edit is refused with `BlockVersionConflict`
    when the block has moved on since, so two editors never silently overwrite each other.
    """
    unknown = sorted(set(fields) - set(UPDATABLE_FIELDS))
    if unknown:
        raise InvalidEditError(
            f"Cannot update {', '.join(unknown)} of a memory block; updatable fields: {', '.join(UPDATABLE_FIELDS)}."
        )
    if "value" in fields:
        fields["value"] = _text("value", fields["value"] if fields["value"] is not None else "")
    if "label" in fields:
        fields["label"] = _label(fields["label"])
    if "limit" in fields:
        fields["limit"] = _default_limit() if fields["limit"] is None else _limit(fields["limit"])
    for flag in ("read_only", "hidden", "is_template"):
        if flag in fields:
            fields[flag] = bool(fields[flag])
    for name, empty in (("metadata", {}), ("tags", [])):
        if name in fields and fields[name] is None:
            fields[name] = empty
    with transaction.atomic():
        block = _locked(block_id, actor)
        if expected_version is not None and block.version != expected_version:
            raise BlockVersionConflict(block, expected_version)
        _check_limit(block, fields.get("value", block.value), fields.get("limit", block.limit))
        return _save(block, actor, fields)


def restore_revision(block_id: str, version: int, *, actor: EditActor) -> BlockEdit:
    """Set the block's value back to what it was after revision `version`, as a new revision: the history keeps
    every version, including the one replaced. Restoring the value the block already holds writes nothing."""
    if isinstance(version, bool) or not isinstance(version, int):
        raise InvalidEditError(f"A block version is a whole number, not {version!r}.")
    with transaction.atomic():
        block = _locked(block_id, actor)
        revision = block.revisions.filter(version=version).first()
        if revision is None:
            raise RevisionNotFoundError(
                f"Memory block '{block.label}' has no version {version}; it has versions 1 to {block.version}."
            )
        _check_cap(block.label, revision.value_after)
        try:
            _check_limit(block, revision.value_after, block.limit)
        except BlockLimitError:
            raise BlockLimitError(
                f"Cannot restore version {version} of memory block '{block.label}': it held "
                f"{len(revision.value_after):,} characters, over the block's limit of {block.limit:,} now. Raise "
                "the limit first, or restore another version."
            ) from None
        return _save(block, actor, {"value": revision.value_after}, extra={"restored_from_version": version})


# --------------------------------------------------------------------------------------------- the edit tools


def memory_replace(block_id: str, old_string: str, new_string: str, *, actor: EditActor) -> BlockEdit:
    """Replace the one occurrence of `old_string` (tabs expanded, as the model sees them)."""
    old_string, new_string = _text("old_string", old_string), _text("new_string", new_string)
    check_no_line_numbers("old_string", old_string)
    check_no_line_numbers("new_string", new_string)
    if not old_string:
        raise InvalidEditError(
            "old_string must not be empty: copy the exact text to replace from the block "
            "(use memory_insert to add new text)."
        )
    old_string, new_string = old_string.expandtabs(), new_string.expandtabs()

    def edit(block: Block) -> str:
        current = block.value.expandtabs()
        starts = _occurrences(current, old_string)
        if not starts:
            raise TextNotFoundError(
                f"No replacement was performed, old_string `{old_string}` did not appear verbatim in memory "
                f"block with label `{block.label}`."
            )
        if len(starts) > 1:
            lines = sorted({current.count("\n", 0, start) + 1 for start in starts})
            raise TextNotUniqueError(
                f"No replacement was performed. Multiple occurrences of old_string `{old_string}` in lines "
                f"{lines}. Please ensure it is unique."
            )
        return current.replace(old_string, new_string)

    return _edit_value(block_id, actor, edit)


def memory_insert(block_id: str, new_string: str, insert_line: int = -1, *, actor: EditActor) -> BlockEdit:
    """Insert `new_string` as lines after line `insert_line` (0 = at the top, -1 = at the end)."""
    new_string = _text("new_string", new_string)
    check_no_line_numbers("new_string", new_string)
    if isinstance(insert_line, bool) or not isinstance(insert_line, int):
        raise InvalidEditError(f"insert_line must be an integer line number, not {insert_line!r}.")
    new_string = new_string.expandtabs()

    def edit(block: Block) -> str:
        current = block.value.expandtabs()
        lines = current.split("\n")
        at = len(lines) if insert_line == -1 else insert_line
        if not 0 <= at <= len(lines):
            raise InvalidEditError(
                f"Invalid `insert_line` parameter: {insert_line}. It should be within the range of lines of the "
                f"memory block: {[0, len(lines)]}, or -1 to append to the end of the memory block."
            )
        if not current:  # an empty block has no line to keep; do not leave a stray blank line
            return new_string
        return "\n".join(lines[:at] + new_string.split("\n") + lines[at:])

    return _edit_value(block_id, actor, edit)


def memory_rethink(block_id: str, new_memory: str, *, actor: EditActor) -> BlockEdit:
    """Rewrite the whole block."""
    new_memory = _text("new_memory", new_memory)
    check_no_line_numbers("new_memory", new_memory)
    return _edit_value(block_id, actor, lambda block: new_memory)


def core_memory_append(block_id: str, content: str, *, actor: EditActor) -> BlockEdit:
    """Add `content` on a new line at the end of the block."""
    content = _text("content", content)
    if not content:
        raise InvalidEditError("content must not be empty: pass the text to append.")
    return _edit_value(block_id, actor, lambda block: f"{block.value}\n{content}" if block.value else content)


def core_memory_replace(block_id: str, old_content: str, new_content: str, *, actor: EditActor) -> BlockEdit:
    """Replace every occurrence of `old_content`."""
    old_content, new_content = _text("old_content", old_content), _text("new_content", new_content)
    if not old_content:
        raise InvalidEditError("old_content must not be empty: copy the exact text to replace from the block.")

    def edit(block: Block) -> str:
        if old_content not in block.value:
            raise TextNotFoundError(f"Old content '{old_content}' not found in memory block '{block.label}'")
        return block.value.replace(old_content, new_content)

    return _edit_value(block_id, actor, edit)


# ------------------------------------------------------------------------------------------------- internals


def _edit_value(block_id: str, actor: EditActor, edit) -> BlockEdit:
    with transaction.atomic():
        block = _locked(block_id, actor)
        value = edit(block)
        _check_limit(block, value, block.limit)
        return _save(block, actor, {"value": value})


def _locked(block_id: str, actor: EditActor) -> Block:
    try:
        block = Block.objects.select_for_update().get(pk=block_id)
    except Block.DoesNotExist:
        raise BlockNotFoundError(f"Memory block '{block_id}' does not exist.") from None
    if block.read_only and actor.actor_type == "agent":
        raise BlockReadOnlyError(f"Error: memory block '{block.label}' is read-only and cannot be edited.")
    return block


def _check_limit(block: Block, value: str, limit: int) -> None:
    """Refuse a value longer than the (possibly new) limit, except on a block that was already over it, and any value
    over LETTA_MAX_BLOCK_CHARS."""
    _check_cap(block.label, value)
    size, held = len(value), len(block.value)
    if size <= limit:
        return
    if held > block.limit and limit >= block.limit:
        # Imported over its limit (Letta never enforced limits): it keeps its value, but may only shrink.
        if size <= held:
            return
        raise BlockLimitError(
            f"Edit failed: memory block '{block.label}' already holds {held:,} characters, over its limit of "
            f"{limit:,}, and this edit would make it {size:,}. Until it is under the limit only edits that keep "
            "it the same length or shorter are accepted: remove or condense something first (memory_rethink "
            "rewrites the whole block)."
        )
    if value == block.value:
        raise BlockLimitError(
            f"Cannot set the limit of memory block '{block.label}' to {limit:,}: it holds {size:,} characters. "
            f"Shorten the value first or choose a limit of at least {size:,}."
        )
    raise BlockLimitError(
        f"Edit failed: memory block '{block.label}' would have {size:,} characters, over its limit of {limit:,}. "
        "Shorten the new text or remove something first (memory_rethink rewrites the whole block)."
    )


def _save(block: Block, actor: EditActor, fields: dict, extra: dict | None = None) -> BlockEdit:
    """Apply the changed fields, bump the version and write the revision; a no-op change writes nothing."""
    value_before = block.value
    changes = {
        name: {"before": getattr(block, name), "after": new}
        for name, new in fields.items()
        if getattr(block, name) != new
    }
    if not changes:
        return BlockEdit(block, None)
    for name, change in changes.items():
        setattr(block, name, change["after"])
    block.version += 1
    update = [*changes, "version", "updated_at"]
    if _person(actor):
        block.last_updated_by_id = _person(actor)
        update.append("last_updated_by_id")
    block.save(update_fields=update)
    changes.pop("value", None)  # the value lives in value_before / value_after
    revision = _record(block, actor, value_before=value_before, field_changes={**changes, **(extra or {})})
    return BlockEdit(block, revision)


def _record(block: Block, actor: EditActor, *, value_before: str, field_changes: dict) -> BlockRevision:
    return BlockRevision.objects.create(
        block=block,
        version=block.version,
        **asdict(actor),
        field_changes=field_changes,
        value_before=value_before,
        value_after=block.value,
    )


def _person(actor: EditActor) -> str | None:
    return actor.person_id


def _occurrences(text: str, part: str) -> list[int]:
    starts, at = [], text.find(part)
    while at != -1:
        starts.append(at)
        at = text.find(part, at + len(part))
    return starts


def _text(name: str, value) -> str:
    if not isinstance(value, str):
        raise InvalidEditError(f"{name} must be a string, not {type(value).__name__}.")
    return value.replace("\x00", "")  # PostgreSQL text cannot hold NUL


def _label(label) -> str:
    if not isinstance(label, str) or not label.strip():
        raise InvalidEditError("A memory block needs a non-empty label, e.g. 'human' or 'project_notes'.")
    if len(label) > _LABEL_MAX_LENGTH:
        raise InvalidEditError(
            f"Memory block label '{label[:40]}…' is too long; use at most {_LABEL_MAX_LENGTH} characters."
        )
    return label


def _limit(limit) -> int:
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise InvalidEditError(f"A memory block's limit must be a positive number of characters, not {limit!r}.")
    if limit > settings.MAX_BLOCK_CHARS:
        # Refused, not lowered: a block stored with another limit than the one sent would surprise its writer.
        raise BlockLimitError(
            f"A memory block's limit can be at most {settings.MAX_BLOCK_CHARS:,} characters "
            f"(LETTA_MAX_BLOCK_CHARS), not {limit:,}."
        )
    return limit


def _default_limit() -> int:
    return min(CORE_MEMORY_BLOCK_CHAR_LIMIT, settings.MAX_BLOCK_CHARS)


def _check_cap(label: str, value: str) -> None:
    """The hard cap on every block, whatever its limit: imported blocks over their limit included."""
    if len(value) > settings.MAX_BLOCK_CHARS:
        raise BlockLimitError(
            f"Memory block '{label}' would hold {len(value):,} characters, over the {settings.MAX_BLOCK_CHARS:,} "
            "characters any block may hold (LETTA_MAX_BLOCK_CHARS). Shorten it."
        )
