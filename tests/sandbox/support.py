"""Plain-HTTP helpers for talking to a sandbox the way any client would (stdlib only)."""

from __future__ import annotations

import http.client
import json
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

from tests.conditions import wait_for  # noqa: F401  (re-exported for the sandbox tests)

SMI_SPLIT = "/apis/split.smi-spec.io"


@dataclass
class Answer:
    status: int
    body: Any
    headers: http.client.HTTPMessage

    @property
    def reason(self) -> str | None:
        return self.body.get("reason") if isinstance(self.body, dict) else None

    @property
    def message(self) -> str | None:
        return self.body.get("message") if isinstance(self.body, dict) else None


class Api:
    """A minimal Kubernetes API client over http.client: one request per call, JSON in and out."""

    def __init__(self, url: str, token: str | None = None, headers: dict[str, str] | None = None,
                 ca_pem: bytes | None = None):
        parts = urlsplit(url)
        self.host, self.port, self.scheme = parts.hostname or "127.0.0.1", parts.port, parts.scheme
        self.headers = dict(headers or {})
        if token:
            self.headers["Authorization"] = f"Bearer {token}"
        self.context = None
        if ca_pem is not None:
            self.context = ssl.create_default_context(cadata=ca_pem.decode())

    def connection(self, timeout: float = 10) -> http.client.HTTPConnection:
        if self.scheme == "https":
            return http.client.HTTPSConnection(self.host, self.port, timeout=timeout, context=self.context)
        return http.client.HTTPConnection(self.host, self.port, timeout=timeout)

    def request(self, method: str, path: str, body: Any = None, params: dict[str, Any] | None = None,
                content_type: str = "application/json", headers: dict[str, str] | None = None) -> Answer:
        if params:
            path = f"{path}?{urlencode(params)}"
        data = None
        if body is not None:
            data = body if isinstance(body, (bytes, str)) else json.dumps(body)
        all_headers = {**self.headers, "Accept": "application/json", **(headers or {})}
        if data is not None:
            all_headers["Content-Type"] = content_type
        connection = self.connection()
        try:
            connection.request(method, path, body=data, headers=all_headers)
            response = connection.getresponse()
            raw = response.read()
        finally:
            connection.close()
        try:
            parsed: Any = json.loads(raw) if raw else None
        except ValueError:
            parsed = raw.decode()
        return Answer(response.status, parsed, response.headers)

    def get(self, path: str, **params: Any) -> Answer:
        return self.request("GET", path, params=params or None)

    def post(self, path: str, body: Any, **params: Any) -> Answer:
        return self.request("POST", path, body, params=params or None)

    def put(self, path: str, body: Any, **params: Any) -> Answer:
        return self.request("PUT", path, body, params=params or None)

    def patch(self, path: str, body: Any, content_type: str = "application/merge-patch+json",
              **params: Any) -> Answer:
        return self.request("PATCH", path, body, params=params or None, content_type=content_type)

    def delete(self, path: str, body: Any = None, **params: Any) -> Answer:
        return self.request("DELETE", path, body, params=params or None)

    def watch(self, path: str, **params: Any) -> WatchStream:
        params.setdefault("watch", "true")
        connection = self.connection(timeout=15)
        connection.request("GET", f"{path}?{urlencode(params)}", headers={**self.headers, "Accept": "application/json"})
        response = connection.getresponse()
        return WatchStream(connection, response)


class WatchStream:
    """Reads watch events line by line; `next_event` waits with a bound instead of sleeping."""

    def __init__(self, connection: http.client.HTTPConnection, response: http.client.HTTPResponse):
        self.connection = connection
        self.response = response
        self.status = response.status

    def next_event(self) -> dict[str, Any] | None:
        """The next event, or None when the server ended the stream."""
        line = self.response.readline()
        if not line:
            return None
        return json.loads(line)

    def events(self) -> Iterator[dict[str, Any]]:
        while (event := self.next_event()) is not None:
            yield event

    def take(self, count: int) -> list[dict[str, Any]]:
        taken = []
        for event in self.events():
            taken.append(event)
            if len(taken) == count:
                break
        return taken

    def close(self) -> None:
        self.connection.close()

    def __enter__(self) -> WatchStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()




def split(name: str, namespace: str = "default", version: str = "v1alpha4", weights: tuple[int, ...] = (90, 10),
          labels: dict[str, str] | None = None) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": name, "namespace": namespace}
    if labels:
        metadata["labels"] = labels
    return {"apiVersion": f"split.smi-spec.io/{version}", "kind": "TrafficSplit", "metadata": metadata,
            "spec": {"service": "web", "backends": [{"service": f"web-v{i + 1}", "weight": w}
                                                    for i, w in enumerate(weights)]}}


def splits_path(namespace: str | None = "default", version: str = "v1alpha4") -> str:
    if namespace is None:
        return f"{SMI_SPLIT}/{version}/trafficsplits"
    return f"{SMI_SPLIT}/{version}/namespaces/{namespace}/trafficsplits"
