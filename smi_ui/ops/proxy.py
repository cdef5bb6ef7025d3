"""The client's address behind a TLS proxy: X-Forwarded-For, believed only from trusted proxies.

With BEHIND_TLS_PROXY on, every connection arrives from the proxy, so the address the audit
log, the login throttle and /metrics' loopback rule see would be the proxy's. This ASGI
middleware replaces it with the client's: the nearest X-Forwarded-For hop that is not itself
a trusted proxy (TRUSTED_PROXIES), read from the right, because entries to the left of the
proxies we trust are whatever the client chose to send. A connection from an untrusted
peer keeps its own address whatever it claims, and so does one whose hops are all trusted
(a pod writing `X-Forwarded-For: 127.0.0.1` stays the pod). With BEHIND_TLS_PROXY off the
header is ignored. daphne's own `--proxy-headers` is not used: it believes any peer and
takes the left-most, client-written entry.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Iterable
from typing import Any

from django.conf import settings

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
#: Hops read from the right at most: a longer chain is not followed further.
MAX_HOPS = 20


@functools.lru_cache(maxsize=8)
def trusted_networks(entries: tuple[str, ...]) -> tuple[IPNetwork, ...]:
    """TRUSTED_PROXIES as networks; a wrong entry is an error that names it."""
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise ValueError(f"TRUSTED_PROXIES: {entry!r} is not an address or network (CIDR)") from None
    return tuple(networks)


def _address(text: str) -> IPAddress | None:
    """An X-Forwarded-For hop as an address (`1.2.3.4`, `1.2.3.4:5678`, `[::1]:80`, `::1`); None if it is none."""
    text = text.strip()
    if text.startswith("["):
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:
        text = text.partition(":")[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def forwarded_client(peer: str, forwarded_for: Iterable[str], trusted: tuple[IPNetwork, ...]) -> str:
    """The client's address: `peer` unless it is a trusted proxy naming an untrusted hop before it."""
    def is_trusted(address: IPAddress | None) -> bool:
        return address is not None and any(address in network for network in trusted)

    if not is_trusted(_address(peer)):
        return peer
    hops = [hop for value in forwarded_for for hop in value.split(",") if hop.strip()]
    for hop in reversed(hops[-MAX_HOPS:]):
        address = _address(hop)
        if address is None:
            return peer  # a hop that is no address: nothing before it can be told apart from a forgery
        if not is_trusted(address):
            return str(address)
    return peer


class ForwardedClientMiddleware:
    """ASGI middleware setting `scope["client"]` to the forwarded client when BEHIND_TLS_PROXY is on."""

    def __init__(self, application: Any):
        self.application = application
        trusted_networks(tuple(settings.TRUSTED_PROXIES))  # a wrong entry stops the start, not every request

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        client = scope.get("client")
        if settings.BEHIND_TLS_PROXY and client and scope["type"] in ("http", "websocket"):
            values = [value.decode("latin1") for name, value in scope.get("headers") or ()
                      if name.lower() == b"x-forwarded-for"]
            trusted = trusted_networks(tuple(settings.TRUSTED_PROXIES))
            address = forwarded_client(str(client[0]), values, trusted) if values else str(client[0])
            if address != client[0]:
                scope = {**scope, "client": (address, 0)}
        return await self.application(scope, receive, send)
