"""Helpers the kinds' semantic checks share: reading raw dicts safely, names, duplicates, RE2."""

from __future__ import annotations

from typing import Any

import re2

from .errors import FieldError
from .names import is_dns1123_label, is_dns1123_subdomain

_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False


def re2_error(pattern: str) -> str | None:
    """Why `pattern` is not an RE2 regular expression, or None if it is one."""
    try:
        re2.compile(pattern, _RE2_OPTIONS)
    except UnicodeEncodeError:
        return "the pattern is not valid UTF-8 text"
    except re2.error as error:
        reason = error.args[0] if error.args else error
        return reason.decode() if isinstance(reason, bytes) else str(reason)
    return None


def get(value: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def dicts(value: Any, path: str) -> list[tuple[str, dict[str, Any]]]:
    if not isinstance(value, list):
        return []
    return [(f"{path}[{index}]", item) for index, item in enumerate(value) if isinstance(item, dict)]


def check_label(errors: list[FieldError], value: Any, path: str, what: str, code: str = "invalid-reference") -> None:
    if isinstance(value, str) and not is_dns1123_label(value):
        errors.append(FieldError(path, code, f"{what} {value!r} is not a DNS-1123 label"))


def check_subdomain(errors: list[FieldError], value: Any, path: str, what: str) -> None:
    if isinstance(value, str) and not is_dns1123_subdomain(value):
        errors.append(FieldError(path, "invalid-reference", f"{what} {value!r} is not a DNS-1123 subdomain"))


def duplicates(errors: list[FieldError], entries: list[tuple[str, Any]], what: str) -> None:
    seen: set[Any] = set()
    for path, value in entries:
        if value in seen:
            errors.append(FieldError(path, "duplicate", f"{what} {value!r} appears more than once"))
        seen.add(value)
