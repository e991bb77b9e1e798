from django.db import models
from django.utils import timezone

from accounts.ids import DEFAULT_ORG_ID, id_factory
from letta_project.encryption import EncryptedTextField


class Organization(models.Model):
    """The owner of every object. The embedded default has one, created by migration."""

    id = models.CharField(primary_key=True, max_length=64, default=id_factory("org"), editable=False)
    name = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return self.name

    @classmethod
    def default(cls) -> "Organization":
        org, _ = cls.objects.get_or_create(id=DEFAULT_ORG_ID, defaults={"name": "default"})
        return org


class OwnedQuerySet(models.QuerySet):
    """Rows of a model that belongs to an organization. Every read on behalf of a key or a person starts with
    `for_organization`, so another organization's rows are never seen (they are "not found", never forbidden)."""

    def for_organization(self, organization_id: str):
        return self.filter(organization_id=organization_id)


class OwnedModel(models.Model):
    """Fields every stored object carries: its organization and timestamps."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    created_by_id = models.CharField(max_length=64, blank=True, null=True)
    last_updated_by_id = models.CharField(max_length=64, blank=True, null=True)

    objects = OwnedQuerySet.as_manager()

    class Meta:
        abstract = True


class APIKeyQuerySet(OwnedQuerySet):
    def active(self):
        return self.filter(revoked_at__isnull=True).filter(
            models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=timezone.now())
        )

    def issued_to_people(self):
        """Keys people created, not the short-lived ones a tool call gets (accounts.tool_keys)."""
        return self.filter(run_id__isnull=True)


class APIKey(models.Model):
    """A bearer credential for the REST API; it acts for its organization.

    Only a fingerprint of the key is stored (`key_hash`), never the key: a leaked database or backup must not
    hand out working credentials. The fingerprint is plain SHA-256, not a slow password hash (PBKDF2, bcrypt,
    Argon2), on purpose. Slow hashes exist to make guessing low-entropy *passwords* expensive; our keys are
    256 random bits, so no amount of guessing finds one, whatever the hash costs. A fast, unsalted digest
    also lets a request find its key with one indexed lookup (a salted hash cannot be looked up), and keeps
    authentication to microseconds on every API call instead of the ~100 ms a password hash would add.
    """

    id = models.CharField(primary_key=True, max_length=64, default=id_factory("apikey"), editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=200)
    # The first characters of the key, shown in lists: enough to tell keys apart, useless to an attacker.
    prefix = models.CharField(max_length=16)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Refreshed at most once a minute (see services.authenticate_key), so it is accurate to the minute.
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # A key issued to one tool call of a run (accounts/tool_keys.py): it ends by itself and is deleted after.
    expires_at = models.DateTimeField(null=True, blank=True)
    run_id = models.CharField(max_length=64, null=True, blank=True)

    objects = APIKeyQuerySet.as_manager()

    class Meta:
        verbose_name = "API key"

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None


class Membership(models.Model):
    """A person who signs in to the ADE acts for one organization, as an API key does for the API."""

    user = models.OneToOneField("auth.User", on_delete=models.CASCADE, related_name="membership")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="members")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"{self.user} in {self.organization}"


class Provider(OwnedModel):
    """An LLM provider configured through the API (`/v1/providers`), beside those the environment configures.

    Its models are offered as `<name>/<model>` handles. The API key is a credential: it is stored encrypted and
    never returned by the API, only whether one is set. The base URL is stored encrypted too (a gateway may take a
    key in its path or query), and returned as given.
    """

    class Kind(models.TextChoices):
        OPENAI = "openai"
        ANTHROPIC = "anthropic"
        OPENAI_COMPATIBLE = "openai_compatible"

    id = models.CharField(primary_key=True, max_length=64, default=id_factory("provider"), editable=False)
    name = models.CharField(max_length=100)
    provider_type = models.CharField(max_length=40)
    kind = models.CharField(max_length=40, choices=Kind.choices)
    api_key = EncryptedTextField(blank=True, default="")
    base_url = EncryptedTextField(blank=True, default="")
    api_version = models.CharField(max_length=40, blank=True, default="")
    region = models.CharField(max_length=40, blank=True, default="")
    last_synced = models.DateTimeField(null=True, blank=True)
    # The window of its models that no better source describes (agents.providers.context_window_of says which).
    context_window = models.PositiveIntegerField(null=True, blank=True)
    # Per served model id: {"context_window": int, "alias": str}, validated by agents.provider_services. The
    # database default keeps rows written without the column (a process of the previous release) valid.
    model_settings = models.JSONField(default=dict, db_default={}, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="provider_name_unique_per_org"),
        ]

    def __str__(self):
        return f"{self.name} ({self.provider_type})"
