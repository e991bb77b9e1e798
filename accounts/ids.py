"""Object ids in the reference's "<prefix>-<uuid4>" form, shared by every app."""

import uuid

DEFAULT_ORG_ID = "org-00000000-0000-4000-8000-000000000000"


def new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4()}"


def id_factory(prefix: str):
    """A callable default for a model's id field (migrations need a named, importable callable)."""
    return _IdFactory(prefix)


class _IdFactory:
    def __init__(self, prefix: str):
        self.prefix = prefix

    def __call__(self) -> str:
        return new_id(self.prefix)

    def deconstruct(self):
        return ("accounts.ids.id_factory", (self.prefix,), {})

    def __eq__(self, other):
        return isinstance(other, _IdFactory) and other.prefix == self.prefix

    def __hash__(self):
        return hash(self.prefix)
