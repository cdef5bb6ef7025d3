"""Raw JSON requests and watch streams over the official `kubernetes` client.

Every request carries a timeout; errors surface as KubeApiError with the server's
`Status` decoded, so callers branch on `status`/`reason` instead of parsing text.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import urllib3
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
        headers: dict[str, str | list[str]] | None = None,
    ) -> dict[str, Any]:
        """One JSON request; `headers` adds request headers (e.g. Impersonate-User for the writer)."""
        response = self._call(method, path, query=query, body=body, content_type=content_type, timeout=timeout,
                              headers=headers)
        data = response.read()
        return json.loads(data) if data else {}

    def get_json(self, path: str, **query: Any) -> dict[str, Any]:
        return self.request("GET", path, query=query or None)

    def stream_lines(
        self, path: str, *, query: dict[str, Any], read_timeout: float, opened: Callable[[Any], None] | None = None
    ) -> Iterator[dict[str, Any]]:
        """Yield decoded JSON lines of a watch until the server ends the stream.

        `opened` receives the live response so another thread can close it to end the watch at once.
        """
        raw = self._call("GET", path, query=query, timeout=(self.timeout[0], read_timeout)).response
        if opened is not None:
            opened(raw)
        try:
            buffer = b""
            for chunk in raw.stream(amt=65536, decode_content=True):
                buffer += chunk
                while b"\n" in buffer:
                    line, buffer = buffer.split(b"\n", 1)
                    if line.strip():
                        yield json.loads(line)
            if buffer.strip():
                yield json.loads(buffer)
        except (OSError, urllib3.exceptions.HTTPError) as error:
            raise KubeApiError(0, "StreamBroken", f"{type(error).__name__}: {error}") from error
        finally:
            raw.release_conn()

    def _call(
        self,
        method: str,
        path: str,
        *,
        query: dict[str, Any] | None = None,
        body: Any = None,
        content_type: str = "application/json",
        timeout: float | tuple[float, float] | None = None,
        headers: dict[str, str | list[str]] | None = None,
    ) -> Any:
        extra = headers or {}
        headers = {"Accept": "application/json", "Content-Type": content_type}
        query_list = [(k, _query_value(v)) for k, v in (query or {}).items() if v is not None]
        method, url, headers, body, _ = self.api_client.param_serialize(
            method=method,
            resource_path=path,
            query_params=query_list,
            header_params=headers,
            body=body,
            auth_settings=["BearerToken"],
        )
        if extra:
            headers = _with_extra_headers(headers, extra)
        try:
            response = self.api_client.call_api(method, url, header_params=headers, body=body,
                                                _request_timeout=timeout or self.timeout)
        except k8s.ApiException as error:  # raised for transport failures (status 0) and some statuses
            raise _api_error(error) from None
        except (OSError, urllib3.exceptions.HTTPError) as error:
            raise KubeApiError(0, "Unreachable", f"{type(error).__name__}: {error}") from error
        if not 200 <= response.status < 300:
            raise _status_error(response.status, response.reason, response.read())
        return response


def _with_extra_headers(headers: dict[str, str], extra: dict[str, str | list[str]]) -> urllib3.HTTPHeaderDict:
    """Headers with `extra` added; a list value is sent as repeated headers (Impersonate-Group)."""
    combined = urllib3.HTTPHeaderDict(headers)
    for name, value in extra.items():
        for item in value if isinstance(value, list) else [value]:
            combined.add(name, item)
    return combined


def _query_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _api_error(error: k8s.ApiException) -> KubeApiError:
    return _status_error(int(error.status or 0), error.reason or "", error.body)


def _status_error(status: int, http_reason: str, raw: bytes | str | None) -> KubeApiError:
    """Decode the server's `Status` object when it sent one."""
    body: dict[str, Any] | None = None
    message = http_reason
    if raw:
        try:
            body = json.loads(raw)
            message = body.get("message", message)
        except (ValueError, TypeError):
            message = (raw.decode(errors="replace") if isinstance(raw, bytes) else str(raw))[:500]
    reason = (body or {}).get("reason") or http_reason
    return KubeApiError(status, reason, message, body)
