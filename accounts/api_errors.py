"""One error shape for the whole REST API, the reference's `{"detail": str}`, whatever went wrong.

Installed as DRF's EXCEPTION_HANDLER. DRF's own handler already turns its exceptions (and Django's Http404 and
PermissionDenied) into responses; this one answers a `DomainError` with its own status and body, fixes the body
shape and status codes to match the reference, and answers anything else with a logged, generic 500 in JSON
instead of Django's HTML error page. The async API views answer their errors through `error_response`, so every
route shapes an error the same way.
"""

import logging

from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from accounts.authentication import MISSING_KEY_MESSAGE
from accounts.errors import DomainError
from letta_project.db import RETRY_AFTER_SECONDS, is_pool_exhausted, pool_exhausted_message

logger = logging.getLogger(__name__)

UNKNOWN_ERROR_MESSAGE = "An unknown error occurred"
NOT_FOUND_MESSAGE = "Not found."


def exception_handler(exc, context):
    if isinstance(exc, DomainError):
        # A refusal with its meaning attached (see accounts.errors): nothing the view did may commit.
        set_rollback()
        return Response(exc.body(), status=exc.status_code)
    if isinstance(exc, exceptions.NotAuthenticated) and exc.detail == exceptions.NotAuthenticated.default_detail:
        # DRF raises it with its own wording from the permission check; ours tells the client what to send.
        exc.detail = exceptions.ErrorDetail(MISSING_KEY_MESSAGE, code=exc.default_code)
    if is_pool_exhausted(exc):
        # The database had no connection free in time: busy, not broken (letta_project/db.py).
        headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
        return Response(
            {"detail": pool_exhausted_message()}, status=status.HTTP_503_SERVICE_UNAVAILABLE, headers=headers
        )
    response = drf_exception_handler(exc, context)
    if response is None:
        return _unknown_error(exc, context)
    if isinstance(exc, (exceptions.ValidationError, exceptions.ParseError)):
        # The reference (FastAPI) answers 422 to any request it cannot validate, malformed JSON included.
        response.status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    response.data = _error_body(response.data)
    return response


HANDLED = (DomainError, exceptions.APIException, Http404, PermissionDenied)


def error_response(exc) -> JsonResponse:
    """The JSON response the handler above gives for `exc` (one of HANDLED), for a plain (non-DRF) view.

    A 401 names the scheme to use (`WWW-Authenticate: Bearer`), as DRF does for its own views."""
    response = exception_handler(exc, {})
    json_response = JsonResponse(response.data, status=response.status_code)
    for header in ("WWW-Authenticate", "Retry-After"):
        if header in response:
            json_response[header] = response[header]
    if response.status_code == status.HTTP_401_UNAUTHORIZED:
        json_response["WWW-Authenticate"] = "Bearer"
    return json_response


def _error_body(data) -> dict:
    # A dict that already has a "detail" was shaped on purpose (e.g. the reference's structured 409 for a
    # pending approval); keep it. Anything else is field errors, summed up in one readable sentence.
    if isinstance(data, dict) and "detail" in data:
        return {key: _plain(value) for key, value in data.items()}
    return {"detail": describe_errors(data), "errors": _plain(data)}


def describe_errors(errors) -> str:
    """DRF's structured errors as one sentence naming each field, e.g.
    'Invalid request: name: This field is required. messages[0].role: "bot" is not a valid choice.'"""
    parts = []
    for path, message in _flatten(errors, ""):
        message = message if message.endswith((".", "!", "?")) else message + "."
        parts.append(f"{path}: {message}" if path else message)
    return "Invalid request: " + (" ".join(parts) if parts else "the request is not valid.")


def _flatten(errors, path: str):
    if isinstance(errors, dict):
        for key, value in errors.items():
            if key == api_settings.NON_FIELD_ERRORS_KEY:
                yield from _flatten(value, path)
            else:
                yield from _flatten(value, f"{path}.{key}" if path else str(key))
    elif isinstance(errors, list):
        # A list of strings is messages for one field; a list of dicts/lists is one entry per item (many=True),
        # with empty entries for the items that were valid.
        for index, value in enumerate(errors):
            if isinstance(value, (dict, list)):
                yield from _flatten(value, f"{path}[{index}]")
            else:
                yield path, str(value)
    else:
        yield path, str(errors)


def _plain(value):
    # ErrorDetail is a str subclass carrying a code; plain types keep the body free of DRF internals.
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return str(value) if isinstance(value, str) else value


def _unknown_error(exc, context) -> Response:
    request = context.get("request")
    where = f"{request.method} {request.path}" if request is not None else "an API view"
    logger.error("Unhandled error in %s", where, exc_info=exc)
    # DRF's handler does this for the errors it knows; an ATOMIC_REQUESTS transaction must not commit half a view.
    set_rollback()
    return Response({"detail": UNKNOWN_ERROR_MESSAGE}, status=status.HTTP_500_INTERNAL_SERVER_ERROR)


def page_not_found(request, exception):
    """Django's handler404: an API client gets the reference's JSON 404 for a path no route matches, never the
    ADE's HTML page (DRF's own views already answer their 404s in JSON through the handler above)."""
    if request.path.startswith("/v1/"):
        return JsonResponse({"detail": NOT_FOUND_MESSAGE}, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request, *args, **kwargs):
    """Django's handler500: an API client (under /v1/) gets the reference's JSON 500 from any view, the plain
    async ones included, never the HTML error page. Django has logged the exception before calling this."""
    if request.path.startswith("/v1/"):
        return JsonResponse({"detail": UNKNOWN_ERROR_MESSAGE}, status=500)
    return defaults.server_error(request, *args, **kwargs)
