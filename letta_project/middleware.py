"""Two middleware stacks: the ADE's pages get Django's full set (settings.MIDDLEWARE); the REST API under /v1/ gets
the part an API-key request needs (settings.API_MIDDLEWARE), in a handler of its own (`APIHandler`).

Under ASGI Django runs every hook of a classic middleware (MiddlewareMixin) on a worker thread: two thread crossings
per middleware per request, and each crossing wakes the event loop again when it ends. With the pages' stack that
was some twenty crossings on every API call, a good share of a send's cost and more under a burst, where hundreds of
requests' threads take turns for the interpreter. The API leaves out what serves only signed-in browsers (sessions,
CSRF, the user, messages, htmx, django-axes' lockout: an API request is authenticated by its key, in its view), and
runs the pure hooks it keeps (security headers, CSP, slashes, framing) on the event loop (`OnTheLoop`).
"""

from django.conf import settings
from django.core.handlers.asgi import ASGIHandler
from django.middleware import clickjacking, common, csp, security

API_PREFIX = "/v1/"


class OnTheLoop:
    """For a MiddlewareMixin middleware whose hooks do no I/O (no database, no files): under ASGI they run on the
    event loop instead of each on a worker thread."""

    async def __acall__(self, request):
        response = self.process_request(request) if hasattr(self, "process_request") else None
        response = response or await self.get_response(request)
        if hasattr(self, "process_response"):
            response = self.process_response(request, response)
        return response


class SecurityMiddleware(OnTheLoop, security.SecurityMiddleware):
    pass


class ContentSecurityPolicyMiddleware(OnTheLoop, csp.ContentSecurityPolicyMiddleware):
    pass


class CommonMiddleware(OnTheLoop, common.CommonMiddleware):
    pass


class XFrameOptionsMiddleware(OnTheLoop, clickjacking.XFrameOptionsMiddleware):
    pass


class APIHandler(ASGIHandler):
    """Django's ASGI handler with the API's middleware stack (settings.API_MIDDLEWARE)."""

    def load_middleware(self, is_async=False):
        # Django builds a handler's chain from settings.MIDDLEWARE and takes no other list; this runs once, as the
        # process starts, before any request.
        pages = settings.MIDDLEWARE
        settings.MIDDLEWARE = settings.API_MIDDLEWARE
        try:
            super().load_middleware(is_async)
        finally:
            settings.MIDDLEWARE = pages


def by_path(api, pages):
    """An ASGI application sending requests under /v1/ to `api` and all others to `pages`."""

    async def application(scope, receive, send):
        app = api if scope["path"].startswith(API_PREFIX) else pages
        return await app(scope, receive, send)

    return application
