"""Reads of accounts data, for the ADE and the API, and the one lookup of an organization's object by id."""

from django.db.models import Model, QuerySet
from django.http import Http404

from accounts.models import APIKey


def get_owned(model: type[Model] | QuerySet, organization_id: str, pk: str, what: str, **scope):
    """The organization's `model` row (or a row of the given queryset) with primary key `pk`, narrowed by
    `scope`, else a 404 naming it: "Agent agent-123 not found.".

    Another organization's row answers exactly like a missing one, so ids never leak across organizations.
    Http404 is what both surfaces understand: the API's exception handler answers it as `{"detail": ...}`, a
    page as Django's 404. Pass a queryset to prefetch what the caller will read (e.g. an agent's blocks).
    """
    rows = model if isinstance(model, QuerySet) else model._default_manager.all()
    found = rows.for_organization(organization_id).filter(pk=pk, **scope).first()
    if found is None:
        raise Http404(f"{what} {pk} not found.")
    return found


def list_api_keys(organization_id: str, *, include_revoked: bool = False) -> QuerySet[APIKey]:
    """An organization's keys, newest first. Revoked keys are kept (for the audit trail) but hidden unless asked."""
    keys = APIKey.objects.for_organization(organization_id).issued_to_people()
    if not include_revoked:
        keys = keys.active()
    return keys.order_by("-created_at", "-id")
