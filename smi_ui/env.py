"""Reading settings from the environment, with the parsing rules in one place."""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off", ""}


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    word = raw.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    allowed = ", ".join(sorted((TRUE_WORDS | FALSE_WORDS) - {""}))
    raise ValueError(f"{name}={raw!r} is not a boolean (use one of: {allowed})")


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_float(name: str, default: float, minimum: float | None = None) -> float:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{name}={raw!r} is not a number") from None
    if minimum is not None and value < minimum:
        raise ValueError(f"{name}={raw!r} is below the minimum of {minimum:g}")
    return value


def env_json_object(name: str) -> dict | None:
    """A JSON object from the environment (None when unset); a clear error naming the variable otherwise."""
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return None
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as error:
        raise ValueError(f"{name} is not valid JSON: {error}") from None
    if not isinstance(value, dict):
        raise ValueError(f"{name} must be a JSON object, not {type(value).__name__}")
    return value


#: Django's own bar for a signing key (check security.W009): long, and not a word or a repeated character.
SECRET_KEY_MIN_LENGTH = 50
SECRET_KEY_MIN_UNIQUE_CHARACTERS = 5


def secret_key_weakness(key: str) -> str | None:
    """Why `key` is too weak to sign sessions and derive credential keys with, or None when it is not.

    A short or repetitive key can be guessed offline from one signed cookie, and with it every
    session, the derived credentials key and the audit chain's default key.
    """
    if len(key) < SECRET_KEY_MIN_LENGTH:
        return f"it has {len(key)} characters; at least {SECRET_KEY_MIN_LENGTH} are needed"
    if len(set(key)) < SECRET_KEY_MIN_UNIQUE_CHARACTERS:
        return f"it uses fewer than {SECRET_KEY_MIN_UNIQUE_CHARACTERS} different characters"
    if key.startswith("django-insecure-"):
        return "it is a generated development key (django-insecure-...)"
    return None


def persisted_secret(path: Path) -> str:
    """A random secret kept in a file readable only by its owner, created on first use.

    Local runs keep their sessions across restarts without anyone having to
    invent a key; production passes SECRET_KEY explicitly instead.
    """
    if path.exists():
        value = path.read_text().strip()
        if value:
            return value
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(50)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(value + "\n")
    return value
