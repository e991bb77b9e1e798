"""`callback_url` of `/messages/async`: the finished run, POSTed once, best effort; the outcome is kept on the
run (`callback_sent_at`, `callback_status_code`, `callback_error`) for the caller to check."""

import httpx
from asgiref.sync import sync_to_async
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from agents.api.serializers import run_data
from agents.models import Run

TIMEOUT = 10.0  # seconds; a slow receiver must not hold the server's resources for long


async def post_run(run_id: str, url: str) -> None:
    run = await Run.objects.aget(pk=run_id)
    fields = {"callback_sent_at": timezone.now(), "callback_status_code": None, "callback_error": None}
    try:
        async with httpx.AsyncClient(timeout=TIMEOUT) as client:
            response = await client.post(
                url, content=DjangoJSONEncoder().encode(run_data(run)), headers={"Content-Type": "application/json"}
            )
        fields["callback_status_code"] = response.status_code
        if response.status_code >= 400:
            fields["callback_error"] = f"The callback URL answered HTTP {response.status_code}."
    except httpx.HTTPError as exc:
        fields["callback_error"] = f"Could not POST the run to {url}: {type(exc).__name__}: {exc}".rstrip(": ")
    await sync_to_async(Run.objects.filter(pk=run_id).update)(**fields)
