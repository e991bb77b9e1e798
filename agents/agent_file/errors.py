"""The error of a file that cannot be imported, and the checks every part of the file shares."""

from django.conf import settings

from accounts.errors import DomainError
from letta_project.limits import upload_message


class AgentFileError(DomainError, ValueError):
    """The agent file cannot be imported as it is; the message names the entity and field and says what to fix."""


def check_size(size: int) -> None:
    """Refuse a file larger than LETTA_MAX_AGENT_FILE_BYTES (settings.MAX_AGENT_FILE_BYTES) with a 413; the views
    check an upload's size before reading it."""
    if size > settings.MAX_AGENT_FILE_BYTES:
        raise AgentFileError(upload_message(size), status_code=413)


def optional_str(raw: dict, key: str, where: str) -> str | None:
    """`raw[key]` when it is a string or absent (None); anything else is refused, naming `where` and the key."""
    value = raw.get(key)
    if value is not None and not isinstance(value, str):
        raise AgentFileError(f"{where}: '{key}' must be a string.")
    return value
