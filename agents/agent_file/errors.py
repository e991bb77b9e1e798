"""The error of a file that cannot be imported, and the checks every part of the file shares."""

from accounts.errors import DomainError

# Letta's own files (with their message history) are a few hundred kilobytes; this leaves ample room while keeping
# a stray upload from being decoded whole in memory.
MAX_FILE_BYTES = 20 * 1024 * 1024


class AgentFileError(DomainError, ValueError):
    """The agent file cannot be imported as it is; the message names the entity and field and says what to fix."""


def check_size(size: int) -> None:
    """Refuse a file larger than MAX_FILE_BYTES (a page checks an upload's size before reading it)."""
    if size > MAX_FILE_BYTES:
        raise AgentFileError(
            f"The agent file is {size / 1_048_576:.1f} MiB, over the limit of {MAX_FILE_BYTES // 1_048_576} MiB. "
            "Export it again with its messages stripped (scrub_messages=true) to make it smaller.",
            status_code=413,
        )


def optional_str(raw: dict, key: str, where: str) -> str | None:
    """`raw[key]` when it is a string or absent (None); anything else is refused, naming `where` and the key."""
    value = raw.get(key)
    if value is not None and not isinstance(value, str):
        raise AgentFileError(f"{where}: '{key}' must be a string.")
    return value
