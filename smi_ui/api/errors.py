"""One error body for every API failure: `{"errors": [{"path", "message", "code"}]}`.

Conflicts add `current` (the object as the cluster has it now), ownership refusals add
`controller`, and refused edits name the audit entry that recorded them.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

from smi_ui.changes.errors import ChangeError

from .parsers import PayloadTooLarge


def json_error(status_code: int, message: str, code: str | None = None, path: str = "") -> JsonResponse:
    """The API's error body for an answer made outside DRF (middleware, the ASGI handler)."""
    if code is None:
        try:
            code = HTTPStatus(status_code).phrase.lower().replace(" ", "_")
        except ValueError:
            code = "error"
    return JsonResponse({"errors": [{"path": path, "message": message, "code": code}]}, status=status_code)


def api_exception_handler(error: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's exception handler, answering with the project's error body."""
    if isinstance(error, ChangeError):
        body: dict[str, Any] = {"errors": error.errors}
        if error.current is not None:
            body["current"] = error.current
        for key in ("controller", "audit_id"):
            if key in error.detail:
                body[key] = error.detail[key]
        return Response(body, status=error.status)
    if isinstance(error, RequestDataTooBig):
        error = PayloadTooLarge()
    elif isinstance(error, Http404):
        error = exceptions.NotFound()
    elif isinstance(error, DjangoPermissionDenied):
        error = exceptions.PermissionDenied()
    if not isinstance(error, exceptions.APIException):
        return None
    headers: dict[str, str] = {}
    if getattr(error, "auth_header", None):
        headers["WWW-Authenticate"] = error.auth_header  # type: ignore[attr-defined]
    if getattr(error, "wait", None):
        headers["Retry-After"] = str(int(error.wait))  # type: ignore[attr-defined]
    set_rollback()
    code = error.status_code
    if isinstance(error, exceptions.ValidationError):
        items = flatten(error.detail)
    else:
        items = [{"path": "", "message": str(error.detail), "code": getattr(error.detail, "code", None)
                  or error.default_code}]
    if code == status.HTTP_401_UNAUTHORIZED and not headers:
        code = status.HTTP_403_FORBIDDEN
    return Response({"errors": items}, status=code, headers=headers)


def flatten(detail: Any, path: str = "") -> list[dict[str, str]]:
    """DRF's nested error detail as a flat list of `{path, message, code}` (`weights.web`, `backends[0]`)."""
    if isinstance(detail, dict):
        items = []
        for key, value in detail.items():
            child = path if key in ("non_field_errors", "__all__") else (f"{path}.{key}" if path else str(key))
            items.extend(flatten(value, child))
        return items
    if isinstance(detail, list):
        if all(not isinstance(item, dict | list) for item in detail):
            return [{"path": path, "message": str(item), "code": getattr(item, "code", "invalid") or "invalid"}
                    for item in detail]
        items = []
        for index, item in enumerate(detail):
            items.extend(flatten(item, f"{path}[{index}]"))
        return items
    return [{"path": path, "message": str(detail), "code": getattr(detail, "code", "invalid") or "invalid"}]
