"""Memory the agent rewrites: labelled blocks (with a revision per change) and the archival passage store.

This app imports no other app of ours but `accounts`: who made an edit arrives as plain values.
"""

from django.db import models

from accounts.ids import id_factory
from accounts.models import OwnedModel

CORE_MEMORY_BLOCK_CHAR_LIMIT = 100_000

DEFAULT_DESCRIPTIONS = {
    "human": "Key facts about the human you are talking to: name, preferences, goals. Keep it current.",
    "persona": "Who you are: your personality, voice and the way you behave. Update it as you grow.",
}


class Block(OwnedModel):
    """A labelled section of core memory, rendered into the system prompt of every agent it is attached to."""

    id = models.CharField(primary_key=True, max_length=64, default=id_factory("block"), editable=False)
    label = models.CharField(max_length=200)
    value = models.TextField(blank=True, default="")
    description = models.TextField(blank=True, null=True)
    limit = models.PositiveIntegerField(default=CORE_MEMORY_BLOCK_CHAR_LIMIT)
    read_only = models.BooleanField(default=False)
    metadata = models.JSONField(default=dict, blank=True)
    tags = models.JSONField(default=list, blank=True)
    hidden = models.BooleanField(default=False)
    is_template = models.BooleanField(default=False)
    # Bumped on every write, so a compiled system prompt can tell it is stale without comparing text.
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.label} ({self.id})"

    @property
    def chars_current(self) -> int:
        return len(self.value)


class BlockRevision(models.Model):
    """One change to a block: the text before and after, and who made it."""

    class Actor(models.TextChoices):
        AGENT = "agent"
        USER = "user"
        API = "api"
        SYSTEM = "system"

    block = models.ForeignKey(Block, on_delete=models.CASCADE, related_name="revisions")
    # The block's version after this change.
    version = models.PositiveIntegerField()
    actor_type = models.CharField(max_length=16, choices=Actor.choices)
    actor_id = models.CharField(max_length=64, blank=True, null=True)
    agent_id = models.CharField(max_length=64, blank=True, null=True, db_index=True)
    step_id = models.CharField(max_length=64, blank=True, null=True)
    tool_call_id = models.CharField(max_length=128, blank=True, null=True)
    tool_name = models.CharField(max_length=64, blank=True, null=True)
    field_changes = models.JSONField(default=dict, blank=True)
    value_before = models.TextField(blank=True, default="")
    value_after = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["block", "version"]
        constraints = [models.UniqueConstraint(fields=["block", "version"], name="unique_block_revision_version")]


class Archive(OwnedModel):
    """A store of passages; each agent lazily gets one, and archives can be shared."""

    id = models.CharField(primary_key=True, max_length=64, default=id_factory("archive"), editable=False)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True, null=True)


class Passage(OwnedModel):
    """One archival memory entry. Embeddings are optional; search works on text alone."""

    id = models.CharField(primary_key=True, max_length=64, default=id_factory("passage"), editable=False)
    archive = models.ForeignKey(Archive, on_delete=models.CASCADE, related_name="passages")
    text = models.TextField()
    tags = models.JSONField(default=list, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    # On PostgreSQL a generated pgvector column, outside the model, mirrors it for search (memory.vector_index).
    embedding = models.JSONField(null=True, blank=True)
    embedding_model = models.CharField(max_length=200, blank=True, null=True)

    class Meta:
        ordering = ["created_at", "id"]
