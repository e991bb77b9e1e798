"""The page a sign-in refused by django-axes shows: locked for too many failures, and until when.

django-axes counts the failures and refuses the sign-in (settings: "Sign-in throttling"); this only answers it,
with the time the lock ends, so a person knows how long to wait instead of guessing on.
"""

from axes.helpers import get_client_username, get_cool_off
from axes.models import AccessAttempt
from django.db.models import Max
from django.shortcuts import render
from django.utils import timezone

TEMPLATE = "accounts/locked_out.html"


def lockout_response(request, original_response=None, credentials=None):
    username = get_client_username(request, credentials) or ""
    return render(
        request,
        TEMPLATE,
        {"username": username, "unlocks_at": _unlocks_at(request, username)},
        status=429,  # Too Many Requests, as django-axes answers by default
    )


def _unlocks_at(request, username: str):
    # The lock runs from the last failure counted; attempts while locked are not counted (settings), so it holds.
    last_failure = AccessAttempt.objects.filter(
        username=username, ip_address=getattr(request, "axes_ip_address", None)
    ).aggregate(last=Max("attempt_time"))["last"]
    return (last_failure or timezone.now()) + get_cool_off(request)
