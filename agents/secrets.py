"""An agent's secrets: the environment its tools get, which a person or client may set but never read back.

Values are stored encrypted (`letta_project.encryption`) and every response shows `SECRET_MASK` in their place, so
a client that reads an agent, changes something and sends its secrets back (as the SDK's round trip does) keeps the
stored values: a masked value given back means "unchanged".

A name is an environment variable's (`check_names`), since that is what a tool reads it as: checked by the agents'
services, so the API and the ADE refuse the same names with the same words.
"""

import re

from letta_project.encryption import SECRET_MASK, masked, unmasked

__all__ = ["MAX_NAME_CHARS", "SECRET_MASK", "SecretNameError", "as_environment", "check_names", "merged", "shown"]

MAX_NAME_CHARS = 128  # far above any real variable's name; a longer one is a value pasted in the wrong field
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class SecretNameError(ValueError):
    """A secret's name that cannot be an environment variable's; `name` is the name refused."""

    def __init__(self, name: str, message: str):
        super().__init__(message)
        self.name = name


def check_names(given: dict | None, current: dict | None) -> None:
    """Refuse a new name that is not an environment variable's: letters, digits and `_`, not starting with a digit.

    A name already stored passes as it is: agents made before this rule keep their secrets through a client's round
    trip (read, change something else, send the secrets back)."""
    for name in given or {}:
        if name not in (current or {}):
            _check_name(str(name))


def _check_name(name: str) -> None:
    if not name.strip():
        raise SecretNameError(name, "A secret needs a name, e.g. API_TOKEN.")
    if len(name) > MAX_NAME_CHARS:
        raise SecretNameError(
            name, f"The secret name '{name[:20]}…' is {len(name):,} characters long; the most is {MAX_NAME_CHARS}."
        )
    if not _NAME.fullmatch(name):
        raise SecretNameError(
            name,
            f"The secret name '{name}' is not an environment variable name: use letters, digits and _, not starting "
            "with a digit (e.g. API_TOKEN).",
        )


def shown(secrets: dict | None) -> dict[str, str]:
    """The secrets as responses show them: every name, no value."""
    return masked(secrets or {})


def merged(current: dict | None, given: dict | None) -> dict[str, str]:
    """The secrets to store when `given` replaces `current`: names not given are removed, a masked value keeps
    what was stored, anything else is the new value."""
    return {key: "" if value is None else str(value) for key, value in unmasked(given or {}, current or {}).items()}


def as_environment(secrets: dict | None) -> dict[str, str]:
    """The secrets as the environment of the agent's tools."""
    return {key: str(value) for key, value in (secrets or {}).items() if value is not None}
