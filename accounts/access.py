"""Who an ADE page acts for: a signed-in person acts for the organization of their membership.

The API has the same rule for keys (a key acts for its organization); this is its counterpart for sessions, so
every page scopes its queries by `request.organization_id` and never by anything the browser sends.
"""

from functools import wraps
from urllib.parse import urlsplit

from asgiref.sync import iscoroutinefunction, sync_to_async
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import csrf
from django_htmx.http import HttpResponseClientRedirect, HttpResponseClientRefresh

from accounts.models import Membership, Organization

# Where a signed-out request that names no page of its own is sent back to after signing in.
ADE_HOME = "ade-agents"


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
    """Sign-in required (else to the sign-in page, see `sign_in_redirect`); then `request.organization_id` is set
    for the view. Works on async views too, so a long-running page need not hold the sync thread."""
    if iscoroutinefunction(view):

        @wraps(view)
        async def wrapped_async(request, *args, **kwargs):
            user = await request.auser()
            if not user.is_authenticated:
                return sign_in_redirect(request)
            organization_id = await sync_to_async(organization_id_for)(user)
            if organization_id is None:
                return await sync_to_async(render)(request, "accounts/no_organization.html", status=403)
            request.organization_id = organization_id
            return await view(request, *args, **kwargs)

        return wrapped_async

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return sign_in_redirect(request)
        organization_id = organization_id_for(request.user)
        if organization_id is None:
            return render(request, "accounts/no_organization.html", status=403)
        request.organization_id = organization_id
        return view(request, *args, **kwargs)

    return wrapped


def sign_in_redirect(request):
    """Send a signed-out request (never signed in, signed out in another tab, expired) to the sign-in page, with
    `next` the page the person was on, so signing in takes them back there.

    An htmx request is a fragment of a page: redirecting it would swap the whole sign-in page into the page, so
    the browser is told to go there itself (`HX-Redirect`), and `next` is the page (`HX-Current-URL`), not the
    fragment's URL. A form posted after sign-out cannot be repeated by a redirect (it would be a GET of a POST-only
    view, a 405), so `next` is the page the form was on (`Referer`). Only pages of this server count as `next`.
    """
    if request.htmx:
        return HttpResponseClientRedirect(redirect_to_login(_same_site_path(request, request.htmx.current_url)).url)
    if request.method in ("GET", "HEAD"):
        return redirect_to_login(request.get_full_path())
    # A page at the form's own URL was the answer to posting it, which a GET of that URL would not give back.
    return redirect_to_login(_same_site_path(request, request.headers.get("Referer"), exclude=request.path))


def _same_site_path(request, url: str | None, exclude: str | None = None) -> str:
    """`url` as a path on this server (e.g. "/ade/agents/agent-1/memory/?page=2"), or the ADE home when it is
    missing, points anywhere else, or is the path `exclude`."""
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        parts = urlsplit(url)
        if parts.path.startswith("/") and parts.path != exclude:
            return parts.path + (f"?{parts.query}" if parts.query else "")
    return resolve_url(ADE_HOME)


def csrf_failure(request, reason=""):
    """settings.CSRF_FAILURE_VIEW. A page open since before a sign-in in another tab holds a stale CSRF token
    (signing in renews it), so its next htmx post is refused; htmx would show nothing at all. The page is
    reloaded instead (`HX-Refresh`), which gives it a fresh token (or the sign-in page, when signed out)."""
    if request.htmx:
        return HttpResponseClientRefresh()
    return csrf.csrf_failure(request, reason)
