"""ADE pages of accounts: the API keys of the signed-in person's organization.

Sign-in and sign-out are Django's own views (see accounts/page_urls.py); these pages only call the key services.
"""

from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from accounts import selectors, services
from accounts.access import organization_required
from accounts.models import Organization

TEMPLATE = "accounts/keys.html"


@require_GET
@organization_required
def keys(request):
    return render(request, TEMPLATE, _context(request))


@require_POST
@organization_required
@never_cache  # the answer holds the only copy of a new key: no browser or proxy may keep it
def create_key(request):
    name = request.POST.get("name", "")
    try:
        api_key, raw = services.create_api_key(organization_id=request.organization_id, name=name)
    except services.APIKeyNameError as exc:
        # 422: the htmx config in base.html swaps it in, so the form shows the message beside what was typed.
        return _render_keys(request, _context(request, error=str(exc), name=name), status=422)
    return _render_keys(request, _context(request, created=api_key, raw_key=raw))


@require_POST
@organization_required
def revoke_key(request, key_id: str):
    try:
        api_key = services.revoke_api_key(key_id, organization_id=request.organization_id)
    except services.APIKeyNotFoundError as exc:
        raise Http404(str(exc)) from exc
    if request.htmx:
        return render(request, f"{TEMPLATE}#key_row", {"key": api_key})
    return redirect("ade-keys")


def _render_keys(request, context: dict, status: int = 200):
    template = f"{TEMPLATE}#keys" if request.htmx else TEMPLATE
    return render(request, template, context, status=status)


def _context(request, **extra) -> dict:
    return {
        "keys": selectors.list_api_keys(request.organization_id, include_revoked=True),
        "organization": Organization.objects.get(pk=request.organization_id),
        "section": "keys",
        **extra,
    }
