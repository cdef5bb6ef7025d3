"""Binds each request's attribution (address, user agent, request id, user) for the audit log."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from . import context

MAX_USER_AGENT = 500


class RequestContextMiddleware:
    """Sets the request context for the request's duration and echoes the request id to the client."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = context.new_request_id(request.headers.get("X-Request-ID"))
        user = getattr(request, "user", None)
        authenticated = bool(user is not None and user.is_authenticated)
        with context.bound(
            request_id=request_id,
            ip=request.META.get("REMOTE_ADDR") or "",
            user_agent=(request.headers.get("User-Agent") or "")[:MAX_USER_AGENT],
            actor=user.get_username() if authenticated else "",
            actor_id=user.pk if authenticated else None,
            source="dashboard",
        ):
            response = self.get_response(request)
        response["X-Request-ID"] = request_id
        return response
