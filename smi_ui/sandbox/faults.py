"""Fault injection: the failures a real cluster inflicts on clients, on demand.

Tests use these to prove that sync loops and writers survive an unhealthy API server:
slow answers, 500s, 429s with Retry-After, dropped watches, refused connections.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .status import ApiError, internal, too_many_requests

RequestMatcher = Callable[[str, str], bool]
"""(HTTP method, path) -> whether a queued failure applies to this request."""


def api_requests(method: str, path: str) -> bool:
    """By default failures hit resource requests, not discovery or OpenAPI."""
    return path.startswith(("/api/", "/apis/")) and path.count("/") > 3


@dataclass
class _QueuedFailure:
    status: int
    remaining: int
    retry_after: int
    matcher: RequestMatcher


class Faults:
    """Per-request failures and latency; connection-level faults live on the server handle."""

    def __init__(self) -> None:
        self.latency = 0.0
        self._queue: list[_QueuedFailure] = []
        self.injected = 0

    def fail_next(self, count: int, status: int = 500, retry_after: int = 1,
                  matcher: RequestMatcher = api_requests) -> None:
        """The next `count` matching requests fail with `status` (500 InternalError or 429 TooManyRequests)."""
        if status not in (429, 500, 503):
            raise ValueError("status must be 429, 500 or 503")
        self._queue.append(_QueuedFailure(status, count, retry_after, matcher))

    def clear(self) -> None:
        self._queue.clear()
        self.latency = 0.0

    def failure_for(self, method: str, path: str) -> ApiError | None:
        for failure in self._queue:
            if failure.remaining > 0 and failure.matcher(method, path):
                failure.remaining -= 1
                self.injected += 1
                if failure.remaining == 0:
                    self._queue.remove(failure)
                return _error(failure)
        return None


def _error(failure: _QueuedFailure) -> ApiError:
    if failure.status == 429:
        return too_many_requests(failure.retry_after)
    if failure.status == 503:
        return ApiError(503, "ServiceUnavailable", "the server is currently unable to handle the request",
                        {"retryAfterSeconds": failure.retry_after}, {"Retry-After": str(failure.retry_after)})
    return internal("injected fault")
