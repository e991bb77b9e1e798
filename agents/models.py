"""The stateful agent: its configuration, its ordered in-context messages, and the runs and steps that change it."""

from collections.abc import Iterable

from django.db import models
from django.db.models import Q
from django.db.models.fields.json import KT
from django.utils import timezone

from accounts.ids import id_factory
from accounts.models import OwnedModel, OwnedQuerySet
from letta_project.encryption import EncryptedJSONField, EncryptedTextField

# Letta's LLMConfig default, so an agent created without one samples as it would there.
DEFAULT_TEMPERATURE = 1.0
# The most steps one run may take, whether its request or its agent says how many.
MAX_STEPS = 1000


class AgentType(models.TextChoices):
    LETTA_V1 = "letta_v1_agent"
    MEMGPT = "memgpt_agent"
    MEMGPT_V2 = "memgpt_v2_agent"
    REACT = "react_agent"
    WORKFLOW = "workflow_agent"
    SLEEPTIME = "sleeptime_agent"


class ContextWindow(models.Model):
    """A thread's context window: `message_ids` orders the messages the model sees ([0] the system message) and
    `message_count` counts every message stored in the thread, in context or not. The methods below are the only
    writers of the two, so the count moves with every stored message and never needs a count of the history.

    An agent is its own default thread; each of its conversations is another (agents.Conversation)."""

    # Ordered ids of the messages in the context window; [0] is the system message.
    message_ids = models.JSONField(default=list, blank=True)
    # Every message ever stored in the thread, kept as a counter so the memory metadata and the context
    # overview never count the whole history.
    message_count = models.PositiveIntegerField(default=0)
    # What the stored system message was compiled from; a change means it must be recompiled.
    system_fingerprint = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        abstract = True

    def append_to_context(self, messages: Iterable["Message | str"]) -> None:
        """Add messages just stored to the end of the context window (and to the count of stored messages)."""
        added = _ids(messages)
        self._save_context([*self.message_ids, *added], stored=len(added))

    def replace_context(self, messages: Iterable["Message | str"], *, stored: int = 0) -> None:
        """Make `messages` (or their ids) the context window, in order, the system message first. `stored` is
        how many messages were stored on the way (a summary, an imported history); the others already counted."""
        self._save_context(_ids(messages), stored=stored)

    def reset_context(self) -> None:
        """Empty the context window down to the system message; the rest stays stored, as recall memory."""
        self._save_context(self.message_ids[:1], stored=0)

    def _save_context(self, message_ids: list[str], *, stored: int) -> None:
        now = timezone.now()
        fields = {"message_ids": message_ids, "updated_at": now}
        if stored:
            # Relative to the stored figure, so a stale copy cannot undo another writer's count.
            fields["message_count"] = models.F("message_count") + stored
        type(self).objects.filter(pk=self.pk).update(**fields)
        self.message_ids, self.updated_at = message_ids, now
        self.message_count += stored


class Agent(OwnedModel, ContextWindow):
    id = models.CharField(primary_key=True, max_length=64, default=id_factory("agent"), editable=False)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True, null=True)
    agent_type = models.CharField(max_length=32, choices=AgentType.choices, default=AgentType.LETTA_V1)
    # The system prompt template; "{CORE_MEMORY}" marks where memory goes (appended when absent).
    system = models.TextField(blank=True, default="")
    model = models.CharField(max_length=200)
    embedding = models.CharField(max_length=200, blank=True, null=True)
    temperature = models.FloatField(default=DEFAULT_TEMPERATURE)
    max_tokens = models.PositiveIntegerField(null=True, blank=True)
    parallel_tool_calls = models.BooleanField(default=False)
    context_window_limit = models.PositiveIntegerField(null=True, blank=True)
    # Letta's CompactionSettings as the client gave them (checked by agents/compaction_settings.py); None: ours.
    compaction_settings = models.JSONField(null=True, blank=True)
    # Steps a run may take when its request does not say (None: the loop's default). Not in Letta's AgentState,
    # where max_steps is only a field of each request; the ADE's settings panel sets it.
    max_steps = models.PositiveIntegerField(null=True, blank=True)
    tool_rules = models.JSONField(default=list, blank=True)
    tags = models.JSONField(default=list, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    # Encrypted at rest; responses mask the values (agents/secrets.py).
    secrets = EncryptedJSONField(default=dict, blank=True)
    timezone = models.CharField(max_length=64, default="UTC")
    message_buffer_autoclear = models.BooleanField(default=False)
    blocks = models.ManyToManyField("memory.Block", related_name="agents", blank=True)
    tools = models.ManyToManyField("tools.Tool", related_name="agents", blank=True)
    archive = models.ForeignKey(
        "memory.Archive", null=True, blank=True, on_delete=models.SET_NULL, related_name="agents"
    )
    last_run_completion = models.DateTimeField(null=True, blank=True)
    last_run_duration_ms = models.PositiveIntegerField(null=True, blank=True)
    last_stop_reason = models.CharField(max_length=64, blank=True, null=True)

    class Meta:
        ordering = ["created_at", "id"]
        # The lists page by (created_at, id) within an organization: with this index a page of 10,000 agents reads
        # its 25 rows in order instead of sorting them all.
        indexes = [models.Index(fields=["organization", "created_at", "id"], name="agent_org_created_idx")]

    def __str__(self):
        return f"{self.name} ({self.id})"

    @property
    def agent(self) -> "Agent":
        """A thread's agent: the agent itself for its default thread."""
        return self

    @property
    def sleeptime_group(self) -> "Group | None":
        """The sleep-time group this agent manages (agents/sleeptime.py), or None; read from a prefetch if any."""
        try:
            return self.managed_group
        except Group.DoesNotExist:
            return None

    @property
    def conversation_id(self) -> None:
        return None


class Conversation(OwnedModel, ContextWindow):
    """A thread of an agent beside its default one: its own in-context messages, summary and compaction, sharing the
    agent's memory blocks, archive and tools. Model settings set here override the agent's for this thread."""

    id = models.CharField(primary_key=True, max_length=64, default=id_factory("conv"), editable=False)
    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="conversations")
    summary = models.TextField(blank=True, null=True)
    description = models.TextField(blank=True, null=True)
    model = models.CharField(max_length=200, blank=True, null=True)
    model_settings = models.JSONField(null=True, blank=True)
    context_window_limit = models.PositiveIntegerField(null=True, blank=True)
    hidden = models.BooleanField(default=False)
    archived = models.BooleanField(default=False)
    archived_at = models.DateTimeField(null=True, blank=True)
    last_message_at = models.DateTimeField(null=True, blank=True)
    last_run_completion = models.DateTimeField(null=True, blank=True)
    # The conversation it was forked from, if any.
    forked_from = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["agent", "created_at", "id"], name="conversation_agent_created_idx")]

    def __str__(self):
        return f"{self.summary or self.id} ({self.agent_id})"

    @property
    def conversation_id(self) -> str:
        return self.id


class AgentSkill(models.Model):
    """A skill an agent file carried (Letta's SkillSchema: `name`, `files` {path: content} holding SKILL.md,
    and/or `source_url`), kept whole so exporting the agent gives it back unchanged. Rows of their own, not a
    field on Agent, so loading an agent never loads its skills' files. This server does not yet load skills
    into an agent's context; the ADE lists them."""

    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="skills")
    position = models.PositiveIntegerField()  # the file's order
    name = models.CharField(max_length=200)
    entry = models.JSONField()  # the file's object, exactly

    class Meta:
        ordering = ["agent", "position"]
        constraints = [models.UniqueConstraint(fields=["agent", "position"], name="agentskill_agent_position")]

    def __str__(self):
        return self.name


def _ids(messages: Iterable["Message | str"]) -> list[str]:
    return [m if isinstance(m, str) else m.id for m in messages]


class Message(models.Model):
    """One stored message. The integer primary key orders history and serves as the cursor (Letta's sequence_id)."""

    class Role(models.TextChoices):
        SYSTEM = "system"
        USER = "user"
        ASSISTANT = "assistant"
        TOOL = "tool"
        APPROVAL = "approval"
        SUMMARY = "summary"

    sequence_id = models.BigAutoField(primary_key=True)
    id = models.CharField(max_length=64, unique=True, default=id_factory("message"), editable=False)
    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="+")
    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="messages")
    role = models.CharField(max_length=16, choices=Role.choices)
    # Content parts as in the reference: [{"type": "text", "text": ...}, {"type": "reasoning", ...}, ...]
    content = models.JSONField(default=list, blank=True)
    # Plain text of the content, kept for search.
    text = models.TextField(blank=True, default="")
    name = models.CharField(max_length=200, blank=True, null=True)
    tool_calls = models.JSONField(null=True, blank=True)
    tool_call_id = models.CharField(max_length=128, blank=True, null=True)
    tool_returns = models.JSONField(null=True, blank=True)
    approvals = models.JSONField(null=True, blank=True)
    approval_request_id = models.CharField(max_length=64, blank=True, null=True)
    approve = models.BooleanField(null=True, blank=True)
    denial_reason = models.TextField(blank=True, null=True)
    step = models.ForeignKey("Step", null=True, blank=True, on_delete=models.SET_NULL, related_name="messages")
    run = models.ForeignKey("Run", null=True, blank=True, on_delete=models.SET_NULL, related_name="messages")
    # The thread it belongs to; None for the agent's default thread.
    conversation = models.ForeignKey(
        Conversation, null=True, blank=True, on_delete=models.CASCADE, related_name="messages"
    )
    otid = models.CharField(max_length=64, blank=True, null=True)
    sender_id = models.CharField(max_length=64, blank=True, null=True)
    is_err = models.BooleanField(default=False)
    model = models.CharField(max_length=200, blank=True, null=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = OwnedQuerySet.as_manager()

    class Meta:
        ordering = ["sequence_id"]
        indexes = [models.Index(fields=["agent", "sequence_id"], name="message_agent_seq")]

    def __str__(self):
        return f"{self.role}: {self.text[:60]}"


ONE_RUN_PER_OCCURRENCE = "one_run_per_scheduled_occurrence"


class Run(OwnedModel):
    """One request to an agent: its input, then up to max_steps steps."""

    class Status(models.TextChoices):
        CREATED = "created"
        RUNNING = "running"
        COMPLETED = "completed"
        FAILED = "failed"
        CANCELLED = "cancelled"

    ACTIVE = (Status.CREATED, Status.RUNNING)

    id = models.CharField(primary_key=True, max_length=64, default=id_factory("run"), editable=False)
    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="runs")
    # The thread it ran in; None for the agent's default thread.
    conversation = models.ForeignKey(Conversation, null=True, blank=True, on_delete=models.CASCADE, related_name="runs")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.CREATED)
    stop_reason = models.CharField(max_length=64, blank=True, null=True)
    background = models.BooleanField(default=False)
    metadata = models.JSONField(default=dict, blank=True)
    request_config = models.JSONField(default=dict, blank=True)
    # Encrypted: a webhook's URL often carries its secret (`?token=`).
    callback_url = EncryptedTextField(blank=True, null=True)
    # The outcome of POSTing the finished run to callback_url (best effort, once).
    callback_sent_at = models.DateTimeField(null=True, blank=True)
    callback_status_code = models.PositiveIntegerField(null=True, blank=True)
    callback_error = models.TextField(blank=True, null=True)
    cancel_requested = models.BooleanField(default=False)
    # The run's lease: renewed by the process running it (agents/runtime/leases.py); lapsed, that process is gone.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    # The input messages until the run's first step stores them; a run that ends before that puts them into the
    # history then (run_lifecycle.keep_unsent_input).
    pending_input = models.JSONField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    ttft_ns = models.BigIntegerField(null=True, blank=True)
    total_duration_ns = models.BigIntegerField(null=True, blank=True)
    step_count = models.PositiveIntegerField(default=0)
    prompt_tokens = models.PositiveIntegerField(default=0)
    completion_tokens = models.PositiveIntegerField(default=0)
    total_tokens = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            # At most one active run per thread, enforced by the database so it holds across processes: one for
            # the agent's default thread, one per conversation (NULLs are distinct in a unique index, hence two).
            models.UniqueConstraint(
                fields=["agent"],
                condition=Q(status__in=["created", "running"], conversation__isnull=True),
                name="one_active_run_per_agent",
            ),
            models.UniqueConstraint(
                fields=["conversation"],
                condition=Q(status__in=["created", "running"], conversation__isnull=False),
                name="one_active_run_per_conversation",
            ),
            # A scheduled message's occurrence is delivered by one run only, even when a worker frozen past its
            # lease wakes after another worker delivered it again (agents/schedules.py). Other runs have no such
            # keys, and NULLs are distinct in a unique index.
            models.UniqueConstraint(
                KT("metadata__scheduled_message_id"),
                KT("metadata__scheduled_for"),
                name=ONE_RUN_PER_OCCURRENCE,
            ),
        ]
        # What the lease sweep reads: the few active runs, by lease, without scanning every run ever made.
        indexes = [
            models.Index(
                fields=["heartbeat_at"], condition=Q(status__in=["created", "running"]), name="run_active_lease_idx"
            )
        ]

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE


class WorkerLease(models.Model):
    """A queue worker (agents/runtime/worker.py) is alive while its process renews `heartbeat_at`
    (agents/runtime/leases.py). A task whose worker's lease lapsed, or that has none, was abandoned: nothing else
    tells a task that only starts a run (a scheduled delivery) from one whose worker died holding it."""

    # The id the worker records in each task it takes (django-tasks-db's `worker_ids`).
    worker_id = models.CharField(primary_key=True, max_length=64)
    heartbeat_at = models.DateTimeField()

    def __str__(self):
        return f"worker {self.worker_id}"


class RunEvent(models.Model):
    """One event of a background run, kept so a client can resume its stream from any server process.

    `seq_id` counts from 1 per run; it is the cursor of `POST /v1/runs/{id}/stream` (`starting_after`)."""

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="events")
    seq_id = models.PositiveIntegerField()
    event = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["run", "seq_id"]
        constraints = [models.UniqueConstraint(fields=["run", "seq_id"], name="run_event_seq")]


class Step(OwnedModel):
    """One LLM call and the tools it asked for."""

    class Status(models.TextChoices):
        PENDING = "pending"
        SUCCESS = "success"
        FAILED = "failed"
        CANCELLED = "cancelled"

    id = models.CharField(primary_key=True, max_length=64, default=id_factory("step"), editable=False)
    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="steps")
    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="steps")
    model = models.CharField(max_length=200, blank=True, default="")
    model_handle = models.CharField(max_length=200, blank=True, default="")
    context_window_limit = models.PositiveIntegerField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    stop_reason = models.CharField(max_length=64, blank=True, null=True)
    prompt_tokens = models.PositiveIntegerField(default=0)
    completion_tokens = models.PositiveIntegerField(default=0)
    total_tokens = models.PositiveIntegerField(default=0)
    cached_input_tokens = models.PositiveIntegerField(default=0)
    reasoning_tokens = models.PositiveIntegerField(default=0)
    # Our own estimate of the prompt, kept beside the provider's figure.
    estimated_prompt_tokens = models.PositiveIntegerField(null=True, blank=True)
    usage_reported = models.BooleanField(default=True)
    error_type = models.CharField(max_length=64, blank=True, null=True)
    error_data = models.JSONField(null=True, blank=True)
    feedback = models.CharField(max_length=16, blank=True, null=True)
    # A person's words beside the thumbs up/down (the ADE's inspector); not in Letta's Step.
    feedback_comment = models.TextField(blank=True, null=True)
    tags = models.JSONField(default=list, blank=True)
    # From sending the request to the provider's first streamed piece (None when the step was not streamed).
    ttft_ns = models.BigIntegerField(null=True, blank=True)
    llm_duration_ns = models.BigIntegerField(null=True, blank=True)
    tool_duration_ns = models.BigIntegerField(null=True, blank=True)
    # Each tool call's own time, in call order: [{"tool_call_id", "name", "duration_ns"}].
    tool_timings = models.JSONField(default=list, blank=True)
    total_duration_ns = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]


class ProviderTrace(OwnedModel):
    """The exact request a step (or a compaction) sent to the provider and what came back, for the inspector and
    Letta's trace routes. Bounded: each side is cut to settings.TRACE_MAX_BYTES (`truncated` says so) and traces
    older than settings.TRACE_KEEP_DAYS are deleted."""

    class CallType(models.TextChoices):
        AGENT_STEP = "agent_step"
        SUMMARIZATION = "summarization"

    id = models.CharField(primary_key=True, max_length=64, default=id_factory("provider_trace"), editable=False)
    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="provider_traces")
    run = models.ForeignKey(Run, null=True, blank=True, on_delete=models.CASCADE, related_name="provider_traces")
    # Not a foreign key: a failed or cancelled step's trace is written before (or without) its Step row.
    step_id = models.CharField(max_length=64, blank=True, null=True, db_index=True)
    call_type = models.CharField(max_length=32, choices=CallType.choices, default=CallType.AGENT_STEP)
    provider_type = models.CharField(max_length=32, blank=True, default="")
    endpoint = models.CharField(max_length=500, blank=True, default="")
    request_json = models.JSONField(default=dict)
    # The parsed answer; a streamed answer is {"stream": [event, ...]}; a failed call is {"error": {...}}.
    response_json = models.JSONField(default=dict)
    latency_ms = models.PositiveIntegerField(null=True, blank=True)
    truncated = models.BooleanField(default=False)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["run", "created_at"], name="trace_run_created_idx")]


class Group(OwnedModel):
    """Letta's multi-agent group, here only of the `sleeptime` kind: the primary (`manager_agent`) talks with the
    user, and every `sleeptime_agent_frequency` of its finished turns its sleep-time agent reads the new part of
    the transcript and tends the memory blocks the two share (agents/sleeptime.py)."""

    class ManagerType(models.TextChoices):
        SLEEPTIME = "sleeptime"

    id = models.CharField(primary_key=True, max_length=64, default=id_factory("group"), editable=False)
    manager_type = models.CharField(max_length=32, choices=ManagerType.choices, default=ManagerType.SLEEPTIME)
    description = models.TextField(blank=True, default="")
    manager_agent = models.OneToOneField(Agent, on_delete=models.CASCADE, related_name="managed_group")
    sleeptime_agent = models.OneToOneField(Agent, on_delete=models.CASCADE, related_name="group_as_sleeper")
    sleeptime_agent_frequency = models.PositiveIntegerField(default=5)
    # Finished turns of the primary since the group began; the sleep-time agent runs when it reaches a multiple
    # of the frequency.
    turns_counter = models.PositiveIntegerField(default=0)
    # The last message of the primary the sleep-time agent was given; the next transcript starts after it.
    last_processed_message_id = models.CharField(max_length=64, blank=True, null=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.manager_type} group of {self.manager_agent_id}"

    @property
    def agent_ids(self) -> list[str]:
        """Letta's participants of a sleep-time group: its sleep-time agent (the primary is the manager)."""
        return [self.sleeptime_agent_id]


class ScheduledMessage(OwnedModel):
    """Messages to send an agent later, once (`scheduled_at`) or on a cron schedule (`cron_expression`, in UTC),
    delivered by the queue as background runs (agents/schedules.py). Live while `next_scheduled_at` is set; a
    one-time schedule keeps its row, with no next time, once delivered."""

    class Kind(models.TextChoices):
        ONE_TIME = "one-time"
        RECURRING = "recurring"

    id = models.CharField(primary_key=True, max_length=64, default=id_factory("scheduled_message"), editable=False)
    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="scheduled_messages")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    # The number the client sent (seconds or milliseconds since the epoch), echoed back as given.
    scheduled_at = models.FloatField(null=True, blank=True)
    cron_expression = models.CharField(max_length=200, blank=True, default="")
    # The request a delivery sends to /messages/async: messages, callback_url, include_return_message_types,
    # max_steps, as the client gave them. Encrypted, as one token: its callback_url may carry a secret (nothing
    # filters on what is inside it).
    request = EncryptedJSONField(default=dict)
    next_scheduled_at = models.DateTimeField(null=True, blank=True)
    # The occurrence a worker claimed and is turning into a run; cleared once its run exists. Still set when that
    # worker died: the worker that finds its task abandoned delivers it (schedules.recover).
    delivering_due = models.DateTimeField(null=True, blank=True)
    last_delivered_at = models.DateTimeField(null=True, blank=True)
    last_run_id = models.CharField(max_length=64, blank=True, null=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["agent", "next_scheduled_at"], name="schedule_agent_next_idx")]

    def __str__(self):
        return f"{self.kind} schedule {self.id} of {self.agent_id}"

    @property
    def is_live(self) -> bool:
        return self.next_scheduled_at is not None
