"""Reads of block revisions: the ADE's memory timeline and the API's block history both page through here.

A page is keyset-paged on one integer key (`version` within one block, the revision row's `id` across an agent's
blocks, both assigned in the order the changes were made), so page 100 of an agent with thousands of revisions
costs what page 1 does (a single integer key, so not agents.api.pagination's id cursors, which `memory` cannot
import anyway). Who made each change is named in a fixed number of queries per page (people, API keys,
and the runs of the agent's steps), never one per row. `memory` knows no agents: the caller passes a function that
finds the run of each step.
"""

import difflib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cached_property

from django.contrib.auth import get_user_model
from django.db.models import QuerySet

from accounts.models import APIKey
from memory.models import BlockRevision

DEFAULT_PAGE_SIZE = 20


def block_revisions(block_id: str) -> QuerySet[BlockRevision]:
    return BlockRevision.objects.filter(block_id=block_id).select_related("block")


def revisions_of_blocks(block_ids: Iterable[str] | QuerySet) -> QuerySet[BlockRevision]:
    return BlockRevision.objects.filter(block_id__in=block_ids).select_related("block")


def revision_page(
    revisions: QuerySet[BlockRevision],
    *,
    key: str = "id",
    after: int | None = None,
    before: int | None = None,
    order: str = "desc",
    limit: int = DEFAULT_PAGE_SIZE,
) -> list[BlockRevision]:
    """One page of `revisions` in `order` of `key`, strictly between the cursors (values of `key`).

    As in every list of the API, `after`/`before` are relative to the order: newest first, `after` means older.
    With only `before`, the page is the `limit` rows nearest to it, still returned in `order`.
    """
    ascending = order == "asc"
    if after is not None:
        revisions = revisions.filter(**{f"{key}__{'gt' if ascending else 'lt'}": after})
    if before is not None:
        revisions = revisions.filter(**{f"{key}__{'lt' if ascending else 'gt'}": before})
    forward = key if ascending else f"-{key}"
    if before is not None and after is None:
        backward = f"-{key}" if ascending else key
        rows = list(revisions.order_by(backward)[:limit])
        rows.reverse()
        return rows
    return list(revisions.order_by(forward)[:limit])


@dataclass(frozen=True, slots=True)
class DiffLine:
    """One line of a value's diff: `kind` is "added", "removed", "same" or "hunk" (an `@@` position line)."""

    kind: str
    text: str

    @property
    def sign(self) -> str:
        return {"added": "+", "removed": "-", "same": " ", "hunk": ""}[self.kind]


def value_diff(before: str, after: str, context: int = 3) -> list[DiffLine]:
    """A line-based unified diff of a block's value, without the file headers; empty when the value is the same."""
    lines = difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=context)
    diff = []
    for line in lines:
        if line.startswith(("---", "+++")) and not diff:
            continue  # the two header lines come first, before any hunk
        if line.startswith("@@"):
            diff.append(DiffLine("hunk", line))
        elif line.startswith("+"):
            diff.append(DiffLine("added", line[1:]))
        elif line.startswith("-"):
            diff.append(DiffLine("removed", line[1:]))
        else:
            diff.append(DiffLine("same", line[1:]))
    return diff


@dataclass
class HistoryEntry:
    """A revision with who made it named: `actor_name` (a person's username, an API key's name) and, for an
    agent's edit, `run_id` (the run of its step). Attribute names match the API's history item."""

    revision: BlockRevision
    actor_name: str | None = None
    run_id: str | None = None

    def __getattr__(self, name):
        # The revision's own columns (version, created_at, actor_type, ...) read through.
        if name == "revision":
            raise AttributeError(name)
        return getattr(self.revision, name)

    @property
    def label(self) -> str:
        return self.revision.block.label

    @property
    def changed_fields(self) -> list[str]:
        """The names of what changed: the value first (when it did), then the other fields in stored order."""
        names = ["value"] if self.revision.value_before != self.revision.value_after else []
        return names + [name for name in self.revision.field_changes if name != "restored_from_version"]

    @property
    def restored_from_version(self) -> int | None:
        return self.revision.field_changes.get("restored_from_version")

    @cached_property
    def diff(self) -> list[DiffLine]:
        return value_diff(self.revision.value_before, self.revision.value_after)


def named(
    revisions: list[BlockRevision], *, runs_of_steps: Callable[[set[str]], dict[str, str]] | None = None
) -> list[HistoryEntry]:
    """The page's revisions with their actors named: one query for people, one for keys, one for steps."""
    of_type = {kind: {r.actor_id for r in revisions if r.actor_type == kind and r.actor_id} for kind in ("user", "api")}
    users = {}
    if of_type["user"]:
        user_pks = [pk for pk in of_type["user"] if str(pk).isdigit()]
        users = {
            str(pk): name for pk, name in get_user_model().objects.filter(pk__in=user_pks).values_list("pk", "username")
        }
    keys = dict(APIKey.objects.filter(pk__in=of_type["api"]).values_list("id", "name")) if of_type["api"] else {}
    step_ids = {r.step_id for r in revisions if r.step_id}
    runs = runs_of_steps(step_ids) if step_ids and runs_of_steps else {}
    names = {"user": users, "api": keys}
    return [
        HistoryEntry(
            revision,
            actor_name=names.get(revision.actor_type, {}).get(str(revision.actor_id)),
            run_id=runs.get(revision.step_id),
        )
        for revision in revisions
    ]
