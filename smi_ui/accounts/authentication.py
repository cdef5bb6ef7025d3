"""DRF authentication by API token (`Authorization: Bearer smiui_...`)."""

from __future__ import annotations

from typing import Any

from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed, Throttled
from rest_framework.request import Request

from .lockout import lockout_minutes, token_attempt_failed, token_attempts_allowed
from .tokens import authenticate_token

KEYWORDS = (b"bearer", b"token")


class ApiTokenAuthentication(BaseAuthentication):
    """Authenticates automation by a hashed API token; token requests need no CSRF token.

    An address that presented too many unknown tokens gets 429 for every further unknown one, so
    guessing cannot go on; a valid token still works from it (tokens hold 256 random bits, so a
    right guess is not a risk, while refusing valid ones would let anyone behind the same address
    lock out everyone's automation).
    """

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() not in KEYWORDS:
            return None
        if len(parts) != 2:
            raise AuthenticationFailed("the Authorization header must be `Bearer <token>`")
        try:
            token = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise AuthenticationFailed("the token is not ASCII text") from None
        record = authenticate_token(token)
        if record is None:
            if not token_attempts_allowed(request._request):
                raise Throttled(wait=lockout_minutes(request._request) * 60,
                                detail="too many unknown API tokens from this address; try again later")
            token_attempt_failed(request._request, token[:12])
            raise AuthenticationFailed("the token is unknown, revoked or expired")
        return record.user, record

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="smi-ui"'
