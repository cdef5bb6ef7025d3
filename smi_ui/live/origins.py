"""Which pages may open the dashboard's websockets: its own origin, scheme, host and port alike.

Channels' AllowedHostsOriginValidator compares host names only, so a page served from any
port of an allowed host (`http://localhost:9999`, another local service) could read a
signed-in user's live data. A handshake is accepted here only when its Origin is exactly the
origin the dashboard is being reached at (the Host header, itself one of ALLOWED_HOSTS, with
the connection's scheme) or one of CSRF_TRUSTED_ORIGINS; everything else is refused before
any consumer runs.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.http.request import split_domain_port, validate_host

DEFAULT_PORTS = {"http": 80, "https": 443}
Origin = tuple[str, str, int]  # scheme, host (lower case, IPv6 without brackets), port


def parse_origin(text: str) -> Origin | None:
    """`scheme://host[:port]` as a comparable triple (default ports filled in); None if it is not one."""
    try:
        parts = urlsplit(text.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname or parts.path not in ("", "/") or parts.query:
        return None
    return scheme, parts.hostname.lower(), port or DEFAULT_PORTS[scheme]


def _trusted(origin: Origin) -> bool:
    """Whether CSRF_TRUSTED_ORIGINS names the origin (`https://*.example.com` covers subdomains)."""
    scheme, host, port = origin
    for entry in settings.CSRF_TRUSTED_ORIGINS:
        wildcard = "://*." in entry
        trusted = parse_origin(entry.replace("://*.", "://", 1) if wildcard else entry)
        if trusted is None or trusted[0] != scheme or trusted[2] != port:
            continue
        if host == trusted[1] or (wildcard and host.endswith("." + trusted[1])):
            return True
    return False


def _page_scheme(scope: dict[str, Any], headers: dict[bytes, bytes]) -> str:
    """The scheme of the page that may connect: the connection's own, else what settings say it is."""
    if scope.get("scheme") in ("ws", "wss"):
        return "https" if scope["scheme"] == "wss" else "http"
    if settings.BEHIND_TLS_PROXY:
        return "https" if headers.get(b"x-forwarded-proto", b"").strip().lower() == b"https" else "http"
    return "https" if settings.SECURE_COOKIES else "http"


def origin_allowed(scope: dict[str, Any]) -> bool:
    """Whether the websocket handshake in `scope` comes from the dashboard's own pages."""
    headers: dict[bytes, bytes] = {}
    for name, value in scope.get("headers") or ():
        headers.setdefault(name.lower(), value)
    origin = parse_origin(headers.get(b"origin", b"").decode("latin1"))
    if origin is None:
        return False
    if _trusted(origin):
        return True
    host = headers.get(b"host", b"").decode("latin1")
    if not host and scope.get("server"):
        server_host, server_port = scope["server"][0], scope["server"][1]
        host = f"[{server_host}]:{server_port}" if ":" in str(server_host) else f"{server_host}:{server_port}"
    domain, _ = split_domain_port(host)
    if not domain or not validate_host(domain, settings.ALLOWED_HOSTS):
        return False
    return origin == parse_origin(f"{_page_scheme(scope, headers)}://{host}")


class SameOriginValidator:
    """ASGI middleware refusing websocket handshakes from any other origin (HTTP passes through)."""

    def __init__(self, application: Any):
        self.application = application

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        if scope["type"] == "websocket" and not origin_allowed(scope):
            return await WebsocketDenier()(scope, receive, send)
        return await self.application(scope, receive, send)
