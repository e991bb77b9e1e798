from django.db import models

from accounts.ids import DEFAULT_ORG_ID, id_factory


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


class OwnedModel(models.Model):
    """Fields every stored object carries: its organization and timestamps."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    created_by_id = models.CharField(max_length=64, blank=True, null=True)
    last_updated_by_id = models.CharField(max_length=64, blank=True, null=True)

    class Meta:
        abstract = True


class APIKeyQuerySet(models.QuerySet):
    def active(self):
        return self.filter(revoked_at__isnull=True)

    def for_organization(self, organization_id: str):
        return self.filter(organization_id=organization_id)


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

    objects = APIKeyQuerySet.as_manager()

    class Meta:
        verbose_name = "API key"

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None
