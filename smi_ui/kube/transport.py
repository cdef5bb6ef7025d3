"""Raw JSON requests and watch streams over the official `kubernetes` client.

Every request carries a timeout; errors surface as KubeApiError with the server's
`Status` decoded, so callers branch on `status`/`reason` instead of parsing text.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from kubernetes import client as k8s

DEFAULT_TIMEOUT = (5.0, 30.0)  # (connect, read) seconds


@dataclass
class KubeApiError(Exception):
    """A failed request: HTTP status (0 when the server could not be reached) and its Status."""

    status: int
    reason: str
    message: str
    body: dict[str, Any] | None = None

    def __str__(self) -> str:
        return f"{self.status} {self.reason}: {self.message}"


class ApiTransport:
    """JSON over one cluster's ApiClient; the only object that issues HTTP to a cluster."""

    def __init__(self, api_client: k8s.ApiClient, timeout: tuple[float, float] = DEFAULT_TIMEOUT):
        self.api_client = api_client
        self.timeout = timeout

    def request(
        self,
        method: str,
        path: str,
        *,
        query: dict[str, Any] | None = None,
        body: Any = None,
        content_type: str = "application/json",
        timeout: float | tuple[float, float] | None = None,
    ) -> dict[str, Any]:
        response = self._call(method, path, query=query, body=body, content_type=content_type, timeout=timeout)
        data = response.data
        return json.loads(data) if data else {}

    def get_json(self, path: str, **query: Any) -> dict[str, Any]:
        return self.request("GET", path, query=query or None)

    def stream_lines(self, path: str, *, query: dict[str, Any], read_timeout: float) -> Iterator[dict[str, Any]]:
        """Yield decoded JSON lines of a watch until the server ends the stream."""
        response = self._call("GET", path, query=query, timeout=(self.timeout[0], read_timeout))
        try:
            buffer = b""
            for chunk in response.stream(amt=65536, decode_content=True):
                buffer += chunk
                while b"\n" in buffer:
                    line, buffer = buffer.split(b"\n", 1)
                    if line.strip():
                        yield json.loads(line)
            if buffer.strip():
                yield json.loads(buffer)
        finally:
            response.release_conn()

    def _call(
        self,
        method: str,
        path: str,
        *,
        query: dict[str, Any] | None = None,
        body: Any = None,
        content_type: str = "application/json",
        timeout: float | tuple[float, float] | None = None,
    ) -> Any:
        headers = {"Accept": "application/json", "Content-Type": content_type}
        query_list = [(k, _query_value(v)) for k, v in (query or {}).items() if v is not None]
        try:
            return self.api_client.call_api(
                path,
                method,
                query_params=query_list,
                header_params=headers,
                body=body,
                auth_settings=["BearerToken"],
                _preload_content=False,
                _request_timeout=timeout or self.timeout,
                _return_http_data_only=True,
            )
        except k8s.ApiException as error:
            raise _api_error(error) from None
        except Exception as error:  # urllib3/socket errors: the server could not be reached
            raise KubeApiError(0, "Unreachable", f"{type(error).__name__}: {error}") from error


def _query_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _api_error(error: k8s.ApiException) -> KubeApiError:
    body: dict[str, Any] | None = None
    message = error.reason or ""
    if error.body:
        try:
            body = json.loads(error.body)
            message = body.get("message", message)
        except (ValueError, TypeError):
            message = str(error.body)[:500]
    reason = (body or {}).get("reason") or error.reason or ""
    return KubeApiError(int(error.status or 0), reason, message, body)
