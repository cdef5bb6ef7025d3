"""ASGI entry point: HTTP through Django, websockets through Channels.

Websockets accept only same-host origins and carry the Django session, so every
live consumer knows its user and can apply that user's grants.
"""

import asyncio
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smi_ui.settings")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402  (needs Django set up first)
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from smi_ui.live.broadcast import set_serving_loop  # noqa: E402
from smi_ui.routing import websocket_urlpatterns  # noqa: E402

router = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)


async def application(scope, receive, send):
    """The router, noting the serving event loop for broadcasts from sync threads."""
    set_serving_loop(asyncio.get_running_loop())
    return await router(scope, receive, send)
