"""The first administrator's generated password, kept so the startup banner can show it until it is changed.

It lives in a file readable only by the server's user (like a Kubernetes "initial admin secret"),
and is shown only while it still is the account's password: once changed, the file is removed.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model

FILE_NAME = "initial-admin-password.json"


def _path() -> Path:
    return Path(settings.DATA_DIR) / FILE_NAME


def remember_initial_password(username: str, password: str) -> Path:
    path = _path()
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        json.dump({"username": username, "password": password}, handle)
    return path


def initial_credentials() -> tuple[str, str] | None:
    """(username, password) while the generated password still logs in; else None (and the file is removed)."""
    path = _path()
    try:
        saved = json.loads(path.read_text())
        username, password = saved["username"], saved["password"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None or not user.check_password(password):
        path.unlink(missing_ok=True)
        return None
    return username, password
