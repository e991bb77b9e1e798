"""Reads of accounts data, for the ADE and the API."""

from django.db.models import QuerySet

from accounts.models import APIKey


def list_api_keys(organization_id: str, *, include_revoked: bool = False) -> QuerySet[APIKey]:
    """An organization's keys, newest first. Revoked keys are kept (for the audit trail) but hidden unless asked."""
    keys = APIKey.objects.for_organization(organization_id)
    if not include_revoked:
        keys = keys.active()
    return keys.order_by("-created_at", "-id")
