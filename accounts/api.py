"""What other apps' API views need from accounts.

There are deliberately no API views for keys: keys are made in the ADE and by `manage.py create_api_key`,
which call `accounts.services` directly, and a key that could mint or revoke keys would turn one leaked key
into permanent access. Add views here if the API ever needs them (the reference has none for keys).
"""

from rest_framework.exceptions import NotAuthenticated

from accounts.authentication import MISSING_KEY_MESSAGE, APIKeyAuthentication


def organization_of(request) -> str:
    """The organization a DRF request acts for: every query of an API view is filtered by it, so a key never
    sees another organization's objects (they answer 404, as if they did not exist)."""
    organization_id = getattr(request.user, "organization_id", None)
    if not organization_id:
        # Only reachable from a view that allows anonymous access and then asks whose data to show.
        raise NotAuthenticated(MISSING_KEY_MESSAGE)
    return organization_id


def authenticated_organization(request) -> str:
    """The organization of a plain Django request's API key, for the views that are not DRF's (the async ones):
    the same key check and the same 401s as `APIKeyAuthentication` gives the DRF views."""
    result = APIKeyAuthentication().authenticate(request)
    if result is None:
        raise NotAuthenticated(MISSING_KEY_MESSAGE)
    return result[0].organization_id
