"""ASGI entry point: HTTP through Django, websockets through Channels.

Websockets accept only the dashboard's own origin (scheme, host and port: smi_ui.live.origins)
and carry the Django session, so every live consumer knows its user and can apply that user's grants.
"""

import asyncio
import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smi_ui.settings")
django.setup(set_prefix=False)  # what get_asgi_application() does, before building our handler

from django.conf import settings  # noqa: E402

from smi_ui.core.handlers import PooledThreadsASGIHandler  # noqa: E402

# HTTP through Django on a fixed set of request threads (see smi_ui.core.handlers); the
# probes skip the queue, so a process busy with user requests is not restarted as dead.
django_asgi_app = PooledThreadsASGIHandler(settings.HTTP_THREADS, unqueued_paths=frozenset({"/healthz", "/readyz"}))

from channels.auth import AuthMiddlewareStack  # noqa: E402  (needs Django set up first)
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from smi_ui.live.broadcast import set_serving_loop  # noqa: E402
from smi_ui.live.origins import SameOriginValidator  # noqa: E402
from smi_ui.ops.proxy import ForwardedClientMiddleware  # noqa: E402
from smi_ui.routing import websocket_urlpatterns  # noqa: E402

# Behind a TLS proxy, the client's address from trusted proxies' X-Forwarded-For (smi_ui.ops.proxy).
router = ForwardedClientMiddleware(ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": SameOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
))


async def application(scope, receive, send):
    """The router, noting the serving event loop for broadcasts from sync threads."""
    set_serving_loop(asyncio.get_running_loop())
    return await router(scope, receive, send)
