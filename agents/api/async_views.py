"""What every plain async API view shares: the method check, API-key authentication, the JSON body and the
shape of its errors.

The routes that run the agent loop, a tool or a provider call are async Django views, not DRF's (see send_views):
`api_view` gives them what DRF gives its own views, answered exactly as the DRF views answer it:
- a method the view does not serve: 405 `Method "X" not allowed.`;
- no key or a bad one: the same 401 body and `WWW-Authenticate: Bearer`;
- a body that is not JSON, not an object, or holds text the database cannot store: 422;
- a `DomainError` or DRF exception raised by the view: the JSON the project's exception handler gives.
Other exceptions propagate to Django, whose handler500 answers a JSON 500 for /v1/.
"""

import functools

from asgiref.sync import sync_to_async
from django.views.decorators.csrf import csrf_exempt
from rest_framework.exceptions import MethodNotAllowed, ValidationError

from accounts.api import authenticated_organization
from accounts.api_errors import HANDLED, error_response
from agents.storable import unstorable
from letta_project.db import fresh_connection, on_shared_thread
from letta_project.limits import JSONTooDeep, parse_json


def api_view(*methods: str, body: bool = False):
    """Decorate `async def view(request, ...)`: it runs only for `methods`, with `request.organization_id` set
    and, with `body=True`, the parsed JSON object as `request.json`. Its synchronous stages run on the process's
    shared threads (letta_project/db.py, `on_shared_thread`), so each must be short: anything that may block for
    long (a file, a DNS lookup, a remote call) runs elsewhere (`sync_to_async(..., thread_sensitive=False)`)."""

    def decorate(view):
        @csrf_exempt
        @functools.wraps(view)
        async def wrapper(request, *args, **kwargs):
            try:
                if request.method not in methods:
                    raise MethodNotAllowed(request.method)
                async with on_shared_thread():
                    request.organization_id = await sync_to_async(fresh_connection(authenticated_organization))(request)
                    if body:
                        request.json = json_object(request)
                    return await view(request, *args, **kwargs)
            except HANDLED as exc:
                return error_response(exc)

        return wrapper

    return decorate


def json_object(request) -> dict:
    """The request body as a JSON object (an empty body is `{}`), or a 422 saying what is wrong with it (a 400 when it
    nests too deeply)."""
    try:
        parsed = parse_json(request.body or b"{}")
    except JSONTooDeep:
        raise
    except ValueError:
        raise ValidationError("The request body is not valid JSON.") from None
    if problem := unstorable(parsed):
        raise ValidationError(f"The request body cannot be stored: {problem}.")
    if not isinstance(parsed, dict):
        raise ValidationError("The request body must be a JSON object.")
    return parsed
