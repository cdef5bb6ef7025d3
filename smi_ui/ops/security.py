"""Content-Security-Policy for every response (django-csp), with the page's own websocket origin.

The policy itself is `CONTENT_SECURITY_POLICY` in settings: scripts and styles only from
this origin, no plugins, no `<base>`, never framed. `connect-src 'self'` covers websockets
of the same host in current browsers; older ones need `ws://host` / `wss://host` spelt out,
which only the request knows, so it is added here per response.
"""

from __future__ import annotations

from csp.middleware import CSPMiddleware, PolicyParts
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponseBase


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware, with `connect-src` extended by the websocket origin of the request."""

    def get_policy_parts(self, request: HttpRequest, response: HttpResponseBase,
                         report_only: bool = False) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        try:
            host = request.get_host()
        except DisallowedHost:  # the 400 for a foreign Host header gets the policy without it
            return parts
        socket = f"{'wss' if request.is_secure() else 'ws'}://{host}"
        update = dict(parts.update or {})
        update["connect-src"] = [*(update.get("connect-src") or ()), socket]
        parts.update = update
        return parts
