"""ASGI entry point: HTTP through Django, WebSockets through the rendezvous consumer."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "parley.settings")
django_asgi_app = get_asgi_application()

from django.conf import settings  # noqa: E402

from signal_server.middleware import StaticFilesWithSecurityHeaders  # noqa: E402
from signal_server.request_limits import LimitRequestBody  # noqa: E402

# The embedded default serves the app's static files itself (one process, nothing to
# set up). A deployment behind a reverse proxy sets PARLEY_SERVE_STATIC=0 and lets the
# proxy serve `collectstatic`'s output (docs/deployment.md).
if settings.PARLEY_SERVE_STATIC:
    django_asgi_app = StaticFilesWithSecurityHeaders(django_asgi_app)
django_asgi_app = LimitRequestBody(django_asgi_app, settings.PARLEY_MAX_REQUEST_BODY_BYTES)

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from signal_server.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(URLRouter(websocket_urlpatterns)),
    }
)
