"""An agent's secrets: the environment its tools get, which a person or client may set but never read back.

Values are stored encrypted (`letta_project.encryption`) and every response shows `SECRET_MASK` in their place, so
a client that reads an agent, changes something and sends its secrets back (as the SDK's round trip does) keeps the
stored values: a masked value given back means "unchanged".
"""

from letta_project.encryption import SECRET_MASK, masked, unmasked

__all__ = ["SECRET_MASK", "as_environment", "merged", "shown"]


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
