import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "letta_project.settings")

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler  # noqa: E402
from django.core.asgi import get_asgi_application  # noqa: E402

# One process serves everything, static files included (the API docs page's Swagger UI, htmx): no web server
# or collectstatic step in front of the embedded default.
django_asgi_app = ASGIStaticFilesHandler(get_asgi_application())

from agents.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        # The ADE's CSS and vendored htmx: one process serves them itself (a few small files), so the embedded
        # default needs no web server in front, with DEBUG off as well.
        "http": ASGIStaticFilesHandler(django_asgi_app),
        "websocket": URLRouter(websocket_urlpatterns),
    }
)
