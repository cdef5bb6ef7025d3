"""The lockout check in front of password authentication."""

from __future__ import annotations

from typing import Any

from axes.backends import AxesStandaloneBackend
from django.http import HttpRequest


class LockoutBackend(AxesStandaloneBackend):
    """django-axes' check, for logins that come with a request (the login page and the admin's).

    Without a request there is no client to lock out (a management command, a test client's
    `login`): nothing here refuses those, and the next backend checks the password as usual.
    """

    def authenticate(self, request: HttpRequest | None, username: str | None = None,
                     password: str | None = None, **kwargs: Any) -> None:
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
