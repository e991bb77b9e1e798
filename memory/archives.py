"""Archives as objects of their own (`/v1/archives`): named stores of passages that several agents can share.

An agent searches and inserts into the one archive it points at (`Agent.archive`); attaching an archive to an
agent is the agent's change and lives in `agents.services`. Passages themselves are `memory.archival`'s.
"""

from memory.models import Archive
from memory.services import InvalidEditError

NAME_MAX_LENGTH = Archive._meta.get_field("name").max_length


def _clean_name(name) -> str:
    if not isinstance(name, str) or not name.strip():
        raise InvalidEditError("An archive needs a name: pass a non-empty `name`.")
    if len(name) > NAME_MAX_LENGTH:
        raise InvalidEditError(f"An archive name is at most {NAME_MAX_LENGTH} characters; this one has {len(name)}.")
    return name.strip()


def create_archive(
    *, organization_id: str, name: str, description: str | None = None, created_by_id: str | None = None
) -> Archive:
    return Archive.objects.create(
        organization_id=organization_id,
        name=_clean_name(name),
        description=description,
        created_by_id=created_by_id,
        last_updated_by_id=created_by_id,
    )


def update_archive(archive: Archive, *, updated_by_id: str | None = None, **fields) -> Archive:
    """Change `name` and/or `description`; a field left out (or a null name) is kept."""
    if fields.get("name") is not None:
        archive.name = _clean_name(fields["name"])
    if "description" in fields:
        archive.description = fields["description"]
    archive.last_updated_by_id = updated_by_id
    archive.save()
    return archive


def delete_archive(archive: Archive) -> None:
    """Delete the archive and its passages; agents that pointed at it get a fresh archive on their next insert."""
    archive.delete()
