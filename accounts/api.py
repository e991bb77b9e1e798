"""What other apps' API views need from accounts.

There are deliberately no API views for keys: keys are made in the ADE and by `manage.py create_api_key`,
which call `accounts.services` directly, and a key that could mint or revoke keys would turn one leaked key
into permanent access. Add views here if the API ever needs them (the reference has none for keys).
"""

from rest_framework.exceptions import NotAuthenticated, NotFound

from accounts.authentication import MISSING_KEY_MESSAGE


def organization_of(request) -> str:
    """The organization a DRF request acts for: every query of an API view is filtered by it, so a key never
    sees another organization's objects (they answer 404, as if they did not exist)."""
    organization_id = getattr(request.user, "organization_id", None)
    if not organization_id:
        # Only reachable from a view that allows anonymous access and then asks whose data to show.
        raise NotAuthenticated(MISSING_KEY_MESSAGE)
    return organization_id


def owned_or_404(model, organization_id: str, pk: str, what: str, **scope):
    """The organization's `model` row with primary key `pk` (narrowed by `scope`), else a 404 naming it.

    Another organization's row answers exactly like a missing one, so ids never leak across organizations.
    """
    found = model.objects.filter(organization_id=organization_id, pk=pk, **scope).first()
    if found is None:
        raise NotFound(f"{what} {pk} not found.")
    return found
