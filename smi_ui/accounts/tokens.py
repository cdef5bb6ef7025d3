"""Issuing, checking and revoking API tokens, and the rules tokens live by.

Tokens are 256 random bits, so a plain sha256 digest is enough to store them safely
(no salt or slow hash needed: nothing to brute-force), and lookups by digest leak
nothing through timing. Every token expires (at most API_TOKEN_MAX_DAYS after it is
issued), and a token may issue tokens only when it was granted that (`may_issue_tokens`):
those it issues can never issue tokens themselves, never outlive it, and are revoked with it,
so a leaked token cannot keep itself alive through tokens it minted.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .audit import record_access_change
from .models import ApiToken

TOKEN_PREFIX = "smiui_"  # noqa: S105 - a marker that makes leaked tokens greppable, not a secret
LAST_USED_RESOLUTION = timedelta(minutes=1)  # do not write on every request


class TokenRuleError(ValueError):
    """A token that may not be issued as asked; `field` names the offending input."""

    def __init__(self, field: str, message: str, code: str):
        super().__init__(message)
        self.field, self.message, self.code = field, message, code


def digest_of(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def checked_expiry(expires_at: datetime | None, *, issued_by: ApiToken | None = None) -> datetime | None:
    """The expiry a new token gets: the one asked for if allowed, else the latest allowed one."""
    now = timezone.now()
    if expires_at is not None and expires_at <= now:
        raise TokenRuleError("expires_at", "must be in the future", "past")
    max_days = int(getattr(settings, "API_TOKEN_MAX_DAYS", 0) or 0)
    latest = now + timedelta(days=max_days) if max_days else None
    if issued_by is not None and issued_by.expires_at is not None:
        latest = min(latest, issued_by.expires_at) if latest else issued_by.expires_at
    if latest is not None and expires_at is not None and expires_at > latest:
        limit = ("the expiry of the token issuing it" if issued_by is not None and latest == issued_by.expires_at
                 else f"{max_days} days from now (API_TOKEN_MAX_DAYS)")
        raise TokenRuleError("expires_at", f"must be at most {limit}, {latest.isoformat()}", "too_late")
    return expires_at if expires_at is not None else latest


def issue_token(user: Any, name: str, *, expires_at: datetime | None = None, may_issue_tokens: bool = False,
                issued_by: ApiToken | None = None) -> tuple[ApiToken, str]:
    """A new token for `user`: (stored record, the token itself, which is never stored or shown again).

    Raises TokenRuleError for an expiry in the past or beyond the maximum lifetime, and for a
    token asked to issue tokens by a token.
    """
    if issued_by is not None and may_issue_tokens:
        raise TokenRuleError("may_issue_tokens", "a token cannot issue tokens that may issue tokens", "forbidden")
    expires_at = checked_expiry(expires_at, issued_by=issued_by)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    record = ApiToken.objects.create(user=user, name=name, prefix=token[:12], digest=digest_of(token),
                                     expires_at=expires_at, may_issue_tokens=may_issue_tokens, issued_by=issued_by)
    return record, token


def authenticate_token(token: str) -> ApiToken | None:
    """The live token record for a presented token; None when unknown, revoked, expired or its user inactive."""
    record = ApiToken.objects.select_related("user", "issued_by").filter(digest=digest_of(token)).first()
    now = timezone.now()
    if record is None or record.revoked_at is not None or not record.user.is_active:
        return None
    if record.expires_at is not None and record.expires_at <= now:
        return None
    max_days = int(getattr(settings, "API_TOKEN_MAX_DAYS", 0) or 0)
    if max_days and record.created_at + timedelta(days=max_days) <= now:
        return None  # the lifetime bounds every token, also those issued before it (or a shorter one) was set
    if record.issued_by is not None and record.issued_by.revoked_at is not None:
        return None  # its issuer was revoked (revocation revokes these too; this covers rows changed elsewhere)
    if record.last_used_at is None or now - record.last_used_at > LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=record.pk).update(last_used_at=now)
    return record


def revoke_token(record: ApiToken) -> list[ApiToken]:
    """Revoke a token and every live token it issued; the tokens revoked now (none when it already was)."""
    revoked: list[ApiToken] = []
    now = timezone.now()
    for token in [record, *ApiToken.objects.filter(issued_by=record, revoked_at__isnull=True)]:
        if token.revoked_at is None:
            token.revoked_at = now
            token.save(update_fields=["revoked_at"])
            revoked.append(token)
    return revoked


def revoke_token_audited(record: ApiToken) -> list[ApiToken]:
    """Revoke as `revoke_token` does, recording one audit entry per token revoked (the API, CLI and admin)."""
    with transaction.atomic():
        revoked = revoke_token(record)
        for token in revoked:
            record_access_change("revoke-token", "ApiToken", f"revoked token {token.prefix}… of {token.user}")
    return revoked
