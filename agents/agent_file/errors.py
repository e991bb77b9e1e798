"""The error of a file that cannot be imported, and the checks every part of the file shares."""

from accounts.errors import DomainError


class AgentFileError(DomainError, ValueError):
    """The agent file cannot be imported as it is; the message names the entity and field and says what to fix."""


def optional_str(raw: dict, key: str, where: str) -> str | None:
    """`raw[key]` when it is a string or absent (None); anything else is refused, naming `where` and the key."""
    value = raw.get(key)
    if value is not None and not isinstance(value, str):
        raise AgentFileError(f"{where}: '{key}' must be a string.")
    return value
