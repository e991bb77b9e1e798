"""`callback_url` of `/messages/async`: the finished run, POSTed once, best effort; the outcome is kept on the
run (`callback_sent_at`, `callback_status_code`, `callback_error`) for the caller to check.

The URL is the caller's, so the POST goes through the outbound policy (letta_project.outbound): an address the
policy keeps private is not contacted at all, and what is kept on the run is worded by us, never a socket error's
text, which would tell the caller what listens where. Redirects are not followed: a callback is one POST to the
address given (as Letta sends it), and a receiver that moved says so with its 3xx, kept on the run.
"""

import logging

from asgiref.sync import sync_to_async
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from agents.api.serializers import run_data
from agents.models import Run
from letta_project import outbound

log = logging.getLogger(__name__)

TIMEOUT = 10.0  # seconds; a slow receiver must not hold the server's resources for long


async def post_run(run_id: str, url: str) -> None:
    run = await Run.objects.aget(pk=run_id)
    fields = {"callback_sent_at": timezone.now(), "callback_status_code": None, "callback_error": None}
    try:
        response = await outbound.fetch(
            url,
            method="POST",
            body=DjangoJSONEncoder().encode(run_data(run)).encode(),
            headers={"Content-Type": "application/json"},
            timeout=TIMEOUT,
            max_bytes=0,  # the receiver's answer is not read: only its status is kept
            follow_redirects=False,
        )
    except outbound.OutboundRefused as exc:
        fields["callback_error"] = f"The run was not sent to the callback URL: {exc}"
    except outbound.OutboundError as exc:
        fields["callback_error"] = f"Could not POST the run to the callback URL: {exc}"
    except Exception:  # an oddity of the URL httpx refuses late: the run is done either way, so say so and go on
        log.exception("posting run %s to its callback URL failed", run_id)
        fields["callback_error"] = "Could not POST the run to the callback URL."
    else:
        fields["callback_status_code"] = response.status
        if response.status >= 300:
            fields["callback_error"] = f"The callback URL answered HTTP {response.status}" + (
                " (redirects are not followed)." if response.status < 400 else "."
            )
    await sync_to_async(Run.objects.filter(pk=run_id).update)(**fields)
