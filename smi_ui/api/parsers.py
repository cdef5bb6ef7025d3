"""Request bodies: bounded JSON with no NUL characters anywhere.

PostgreSQL text cannot hold NUL, and no Kubernetes name, label or manifest needs one, so a
body carrying it is refused at the door (400 naming where) instead of failing in a lookup.
A body is read up to `DATA_UPLOAD_MAX_MEMORY_SIZE` bytes (413 beyond) and may nest at most
`MAX_DEPTH` levels (400 beyond): checked without recursion, so no input reaches a limit
of the interpreter.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework import status
from rest_framework.exceptions import APIException, ParseError, ValidationError
from rest_framework.parsers import JSONParser
from rest_framework.settings import api_settings
from rest_framework.utils import json

from smi_ui.changes.manifests import MAX_DEPTH, walk

DEFAULT_MAX_BODY = 2_621_440  # Django's own default for DATA_UPLOAD_MAX_MEMORY_SIZE


def max_body_bytes() -> int:
    """The largest request body accepted (Django's DATA_UPLOAD_MAX_MEMORY_SIZE)."""
    limit = getattr(settings, "DATA_UPLOAD_MAX_MEMORY_SIZE", DEFAULT_MAX_BODY)
    return DEFAULT_MAX_BODY if limit is None else int(limit)


class PayloadTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "the request body is larger than DATA_UPLOAD_MAX_MEMORY_SIZE allows"
    default_code = "too-large"


class NulFreeJSONParser(JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: dict | None = None) -> Any:
        limit = max_body_bytes()
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise PayloadTooLarge(f"the request body is larger than {limit} bytes")
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            data = json.loads(raw.decode(encoding), parse_constant=json.strict_constant if api_settings.STRICT_JSON
                              else None)
        except RecursionError:
            raise ParseError(f"JSON parse error - nested deeper than {MAX_DEPTH} levels", code="too-deep") from None
        except ValueError as error:  # UnicodeDecodeError and JSONDecodeError included
            raise ParseError(f"JSON parse error - {error}") from None
        problem = _first_problem(data)
        if problem is not None:
            path, message, code = problem
            raise ValidationError({path or "<body>": [ValidationError(message, code=code).detail[0]]})
        return data


def _first_problem(data: Any) -> tuple[str, str, str] | None:
    """(path, message, code) of the first value nested too deep or holding a NUL, or None."""
    for path, key, value, depth in walk(data):
        if depth > MAX_DEPTH:
            return path, f"nested deeper than {MAX_DEPTH} levels", "too-deep"
        if key is not None and "\x00" in str(key):
            return path.replace("\x00", "\\0"), "must not contain NUL characters", "nul"
        if isinstance(value, str) and "\x00" in value:
            return path, "must not contain NUL characters", "nul"
    return None
