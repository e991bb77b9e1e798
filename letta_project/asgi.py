import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "letta_project.settings")

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler  # noqa: E402
from django.core.asgi import get_asgi_application  # noqa: E402

django_asgi_app = get_asgi_application()

from letta_project.middleware import APIHandler, by_path  # noqa: E402

# The REST API under /v1/ has a middleware stack of its own (letta_project/middleware.py).
django_asgi_app = by_path(api=APIHandler(), pages=django_asgi_app)

from django.conf import settings  # noqa: E402

from agents.routing import websocket_urlpatterns  # noqa: E402
from agents.runtime import leases  # noqa: E402
from agents.runtime.worker import serving_in_process  # noqa: E402
from letta_project.limits import asgi_body_limit, cap_daphne_bodies  # noqa: E402

cap_daphne_bodies()
if settings.RUN_SWEEP:
    # A web process renews the leases of its runs and ends the runs of processes that died (leases.py).
    leases.start(sweep=True)

application = ProtocolTypeRouter(
    {
        # Static files (the ADE's CSS and vendored htmx, the API docs' Swagger UI): one process serves them itself,
        # so the embedded default needs no web server or collectstatic step in front, with DEBUG off as well.
        # A body over its cap is never read (letta_project/limits.py).
        "http": ASGIStaticFilesHandler(asgi_body_limit(django_asgi_app)),
        # The session, for the ADE's readers; the consumer also takes an API key (accounts/socket_auth.py).
        "websocket": AuthMiddlewareStack(URLRouter(websocket_urlpatterns)),
    }
)
# The process's queue worker (LETTA_RUN_WORKER_IN_PROCESS), on the event loop that serves the requests.
application = serving_in_process(application)
