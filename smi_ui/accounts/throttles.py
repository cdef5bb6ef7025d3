"""Rate limits on the token API (DRF throttles), so tokens cannot be issued or revoked in bulk."""

from __future__ import annotations

from typing import Any

from rest_framework.throttling import ScopedRateThrottle


class TokenWriteThrottle(ScopedRateThrottle):
    """Issuing and revoking tokens: at most the `tokens` rate per user (or address); reading is not limited."""

    def allow_request(self, request: Any, view: Any) -> bool:
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return True
        return super().allow_request(request, view)
