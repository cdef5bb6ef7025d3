"""Request bodies: JSON with no NUL characters anywhere.

PostgreSQL text cannot hold NUL, and no Kubernetes name, label or manifest needs one, so a
body carrying it is refused at the door (400 naming where) instead of failing in a lookup.
"""

from __future__ import annotations

from typing import Any

from rest_framework.exceptions import ValidationError
from rest_framework.parsers import JSONParser


class NulFreeJSONParser(JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: dict | None = None) -> Any:
        data = super().parse(stream, media_type, parser_context)
        found = _nul_path(data, "")
        if found is not None:
            raise ValidationError({found or "<body>": ["must not contain NUL characters"]})
        return data


def _nul_path(value: Any, path: str) -> str | None:
    """The path of the first string (or key) holding a NUL, or None."""
    if isinstance(value, str):
        return path if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            child = f"{path}.{key}" if path else str(key)
            if "\x00" in str(key):
                return child.replace("\x00", "\\0")
            found = _nul_path(item, child)
            if found is not None:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = _nul_path(item, f"{path}[{index}]")
            if found is not None:
                return found
    return None
