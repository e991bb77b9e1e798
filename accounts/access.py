"""Who an ADE page acts for: a signed-in person acts for the organization of their membership.

The API has the same rule for keys (a key acts for its organization); this is its counterpart for sessions, so
every page scopes its queries by `request.organization_id` and never by anything the browser sends.
"""

from functools import wraps

from asgiref.sync import iscoroutinefunction, sync_to_async
from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from accounts.models import Membership, Organization


def organization_id_for(user) -> str | None:
    """The organization a signed-in user acts for, or None when they belong to none.

    A superuser without a membership acts for the default organization, so `createsuperuser` alone makes a fresh
    install usable; everyone else needs a membership (`manage.py create_user --org ...`).
    """
    membership = Membership.objects.filter(user_id=user.pk).values_list("organization_id", flat=True).first()
    if membership is not None:
        return membership
    if user.is_superuser:
        return Organization.default().id
    return None


def organization_required(view):
    """Sign-in required (else to the login page); then `request.organization_id` is set for the view. Works on
    async views too (Django's `login_required` does), so a long-running page need not hold the sync thread."""
    if iscoroutinefunction(view):

        @login_required
        @wraps(view)
        async def wrapped_async(request, *args, **kwargs):
            organization_id = await sync_to_async(organization_id_for)(request.user)
            if organization_id is None:
                return await sync_to_async(render)(request, "accounts/no_organization.html", status=403)
            request.organization_id = organization_id
            return await view(request, *args, **kwargs)

        return wrapped_async

    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        organization_id = organization_id_for(request.user)
        if organization_id is None:
            return render(request, "accounts/no_organization.html", status=403)
        request.organization_id = organization_id
        return view(request, *args, **kwargs)

    return wrapped
