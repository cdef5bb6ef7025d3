"""Password guessing and token guessing end in a lockout (django-axes), and both are audited.

After LOGIN_FAILURE_LIMIT failed logins for one username, or from one address, further
attempts are refused (even with the right password) until LOGIN_LOCKOUT_MINUTES after the
last counted failure. Unknown API tokens count against the address they came from, so the
token API cannot be used to test guesses either. Each failed login and each lockout is an
audit entry; attempts refused during a lockout are not (they cost nothing and would let an
anonymous client grow the audit log at will).
"""

from __future__ import annotations

from typing import Any

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_cool_off, get_failure_limit
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from smi_ui.audit import context
from smi_ui.audit.models import Outcome, Source

from .audit import record_access_change

#: Marks the credentials of an API token attempt (which has no username) for the lockout parameters.
API_TOKEN_ATTEMPT = "api_token_attempt"  # noqa: S105 - a dictionary key, not a secret


def token_credentials() -> dict[str, Any]:
    return {settings.AXES_USERNAME_FORM_FIELD: None, API_TOKEN_ATTEMPT: True}


def lockout_parameters(request: Any, credentials: dict[str, Any] | None = None) -> list[str]:
    """Logins lock an address, and a username from the address that failed: a stranger elsewhere cannot
    keep `admin` locked out. Token attempts (no username) lock by address."""
    if credentials and credentials.get(API_TOKEN_ATTEMPT):
        return ["ip_address"]
    return ["ip_address", ["username", "ip_address"]]


def token_attempts_allowed(request: HttpRequest) -> bool:
    """Whether this address may present a token at all (it is not locked out)."""
    return AxesProxyHandler.is_allowed(request, token_credentials())


def token_attempt_failed(request: HttpRequest, prefix: str) -> None:
    """Count an unknown, revoked or expired token against the address; audited."""
    with context.bound(source=Source.API):
        record_access_change("token-failed", "ApiToken", f"unknown, revoked or expired API token {prefix}…",
                             outcome=Outcome.DENIED, message="the token is unknown, revoked or expired")
        AxesProxyHandler.user_login_failed(sender=__name__, credentials=token_credentials(), request=request)


def lockout_minutes(request: HttpRequest | None = None) -> int:
    cool_off = get_cool_off(request)
    return max(1, round(cool_off.total_seconds() / 60)) if cool_off else 0


def _refused_during_lockout(request: Any) -> bool:
    """Axes refused this attempt before checking it (so it counted nothing): not a new failure."""
    return bool(getattr(request, "axes_locked_out", False)) and getattr(request, "axes_failures_since_start",
                                                                          None) is None


def on_login_failed(sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any) -> None:
    """A wrong username or password: one audit entry naming the username tried (never the password)."""
    if request is None or _refused_during_lockout(request):
        return
    username = str(credentials.get(settings.AXES_USERNAME_FORM_FIELD) or "")[:150]
    record_access_change("login-failed", "User", f"failed login as {username!r}", outcome=Outcome.DENIED,
                         message="wrong username or password", name=username)


def on_locked_out(sender: Any, request: Any = None, username: str | None = None, ip_address: str | None = None,
                  **kwargs: Any) -> None:
    """The failure that started a lockout: one audit entry (repeats while it lasts are not recorded)."""
    if request is None or getattr(request, "axes_failures_since_start", None) is None:
        return
    credentials = getattr(request, "axes_credentials", None) or {}
    what = "API tokens" if credentials.get(API_TOKEN_ATTEMPT) else f"logins as {username!r}"
    failures = request.axes_failures_since_start
    record_access_change(
        "lockout", "ApiToken" if credentials.get(API_TOKEN_ATTEMPT) else "User",
        f"locked out {what} from {ip_address or '?'} after {failures} failed attempts, "
        f"for {lockout_minutes(request)} minutes", outcome=Outcome.DENIED,
        message=f"{get_failure_limit(request, credentials)} failed attempts", name=str(username or "")[:150])


def lockout_response(request: HttpRequest, original_response: HttpResponse | None = None,
                     credentials: dict[str, Any] | None = None) -> HttpResponse:
    """The answer while locked out: the product's page for people, the API's error body for the API."""
    minutes = lockout_minutes(request)
    message = (f"Too many failed attempts: try again in {minutes} minutes." if minutes
               else "Too many failed attempts: ask an administrator to unlock the account.")
    status = settings.AXES_HTTP_RESPONSE_CODE
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse({"errors": [{"path": "", "message": message, "code": "locked_out"}]},
                                              status=status)
    else:
        response = render(request, "registration/locked_out.html",
                          {"message": message, "minutes": minutes,
                           "failure_limit": get_failure_limit(request, credentials)}, status=status)
    if minutes:
        response["Retry-After"] = str(minutes * 60)
    return response
