"""Issuing, checking and revoking API tokens.

Tokens are 256 random bits, so a plain sha256 digest is enough to store them safely
(no salt or slow hash needed: nothing to brute-force), and lookups by digest leak
nothing through timing.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from .models import ApiToken

TOKEN_PREFIX = "smiui_"  # noqa: S105 - a marker that makes leaked tokens greppable, not a secret
LAST_USED_RESOLUTION = timedelta(minutes=1)  # do not write on every request


def digest_of(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(user: Any, name: str, *, expires_at: datetime | None = None) -> tuple[ApiToken, str]:
    """A new token for `user`: (stored record, the token itself, which is never stored or shown again)."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    record = ApiToken.objects.create(user=user, name=name, prefix=token[:12], digest=digest_of(token),
                                     expires_at=expires_at)
    return record, token


def authenticate_token(token: str) -> ApiToken | None:
    """The live token record for a presented token; None when unknown, revoked, expired or its user inactive."""
    record = ApiToken.objects.select_related("user").filter(digest=digest_of(token)).first()
    now = timezone.now()
    if record is None or record.revoked_at is not None or not record.user.is_active:
        return None
    if record.expires_at is not None and record.expires_at <= now:
        return None
    if record.last_used_at is None or now - record.last_used_at > LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=record.pk).update(last_used_at=now)
    return record


def revoke_token(record: ApiToken) -> None:
    if record.revoked_at is None:
        record.revoked_at = timezone.now()
        record.save(update_fields=["revoked_at"])
