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
