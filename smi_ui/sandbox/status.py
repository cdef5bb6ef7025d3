"""`Status` failures with the real API server's codes, reasons and wording.

Clients branch on `reason` and `code` (client-go's `IsConflict`, `IsNotFound`, kubectl's
"The X is invalid" printer), and people read `message`, so each builder mirrors the
matching constructor in k8s.io/apimachinery/pkg/api/errors.
"""

from __future__ import annotations

from typing import Any

from .fielderrors import FieldError, aggregate


class ApiError(Exception):
    """A request failure that is answered with a `Status` object and its HTTP code."""

    def __init__(self, code: int, reason: str, message: str, details: dict[str, Any] | None = None,
                 headers: dict[str, str] | None = None):
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details
        self.headers = headers or {}

    def status(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
        }
        if self.details is not None:
            body["details"] = self.details
        body["code"] = self.code
        return body


def qualified(group: str, resource: str) -> str:
    """`trafficsplits.split.smi-spec.io`, or just `namespaces` for the core group."""
    return f"{resource}.{group}" if group else resource


def _details(group: str, kind: str, name: str | None) -> dict[str, Any]:
    details: dict[str, Any] = {}
    if name:
        details["name"] = name
    if group:
        details["group"] = group
    details["kind"] = kind
    return details


def not_found(group: str, resource: str, name: str) -> ApiError:
    return ApiError(404, "NotFound", f'{qualified(group, resource)} "{name}" not found',
                    _details(group, resource, name))


def path_not_found() -> ApiError:
    return ApiError(404, "NotFound", "the server could not find the requested resource", {})


def already_exists(group: str, resource: str, name: str) -> ApiError:
    return ApiError(409, "AlreadyExists", f'{qualified(group, resource)} "{name}" already exists',
                    _details(group, resource, name))


def conflict(group: str, resource: str, name: str, why: str) -> ApiError:
    return ApiError(409, "Conflict", f'Operation cannot be fulfilled on {qualified(group, resource)} "{name}": {why}',
                    _details(group, resource, name))


STALE_OBJECT = "the object has been modified; please apply your changes to the latest version and try again"


def stale(group: str, resource: str, name: str) -> ApiError:
    return conflict(group, resource, name, STALE_OBJECT)


def invalid(group: str, kind: str, name: str, errors: list[FieldError]) -> ApiError:
    """422 with one cause per field error; the message names the kind as `Kind.group`."""
    qualified_kind = f"{kind}.{group}" if group else kind
    details = _details(group, kind, name)
    details["causes"] = [error.as_cause() for error in errors]
    return ApiError(422, "Invalid", f'{qualified_kind} "{name}" is invalid: {aggregate(errors)}', details)


def bad_request(message: str) -> ApiError:
    return ApiError(400, "BadRequest", message)


def cannot_be_handled(kind: str, version: str, why: str) -> ApiError:
    """A body the server could not decode into the kind (strict decoding, bad JSON, wrong types)."""
    return bad_request(f'{kind} in version "{version}" cannot be handled as a {kind}: {why}')


def forbidden(group: str, resource: str, name: str | None, why: str) -> ApiError:
    subject = qualified(group, resource)
    message = f'{subject} "{name}" is forbidden: {why}' if name else f"{subject} is forbidden: {why}"
    return ApiError(403, "Forbidden", message, _details(group, resource, name))


def unauthorized() -> ApiError:
    return ApiError(401, "Unauthorized", "Unauthorized")


def method_not_allowed() -> ApiError:
    return ApiError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource", {})


def not_acceptable(accepted: str) -> ApiError:
    return ApiError(406, "NotAcceptable", f"only the following media types are accepted: {accepted}")


def unsupported_media_type(content_type: str, accepted: list[str]) -> ApiError:
    return ApiError(415, "UnsupportedMediaType",
                    f"the body of the request was in an unknown format - accepted media types include: "
                    f"{', '.join(accepted)}")


def expired(message: str) -> ApiError:
    return ApiError(410, "Expired", message)


def internal(why: str) -> ApiError:
    return ApiError(500, "InternalError", f"Internal error occurred: {why}", {"causes": [{"message": why}]})


def too_many_requests(retry_after: int) -> ApiError:
    return ApiError(429, "TooManyRequests", "Too many requests, please try again later.",
                    {"retryAfterSeconds": retry_after}, {"Retry-After": str(retry_after)})


def unprocessable(message: str) -> ApiError:
    """422 without causes, e.g. a JSON patch whose `test` operation failed."""
    return ApiError(422, "Invalid", message)
