"""Writing objects to a cluster: the one place that sends create, update, patch and delete.

Every write names its field manager (`smi-ui`), can be a server-side dry run
(`dryRun=All`: the cluster's admission and schema verdict, nothing stored), and can
act as the dashboard user through impersonation so the cluster's own RBAC applies too.
Updates are PUTs that carry the resourceVersion they were based on, and deletes carry
resourceVersion/uid preconditions, so a write never silently overwrites a newer object.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from .client import ClusterAccess, transport_for
from .resources import Resource
from .transport import ApiTransport

FIELD_MANAGER = "smi-ui"
WRITER_USER_AGENT = "smi-ui-writer"


@dataclass(frozen=True)
class Impersonation:
    """Who the cluster should believe sent the write (needs `impersonate` RBAC for the dashboard's account)."""

    user: str
    groups: tuple[str, ...] = field(default_factory=tuple)

    def headers(self) -> dict[str, str | list[str]]:
        headers: dict[str, str | list[str]] = {"Impersonate-User": self.user}
        if self.groups:
            headers["Impersonate-Group"] = list(self.groups)
        return headers


class ObjectWriter:
    """Reads and writes single objects of one cluster on behalf of the dashboard."""

    def __init__(self, transport: ApiTransport, *, field_manager: str = FIELD_MANAGER,
                 impersonation: Impersonation | None = None):
        self.transport = transport
        self.field_manager = field_manager
        self.impersonation = impersonation

    def get(self, resource: Resource, namespace: str, name: str) -> dict[str, Any]:
        return self._send("GET", resource.path(namespace, name))

    def create(self, resource: Resource, namespace: str, body: dict[str, Any], *, dry_run: bool = False
               ) -> dict[str, Any]:
        return self._send("POST", resource.path(namespace), body=_writable(body), query=self._query(dry_run))

    def update(self, resource: Resource, namespace: str, name: str, body: dict[str, Any], *,
               resource_version: str, dry_run: bool = False) -> dict[str, Any]:
        """PUT the whole object, carrying the resourceVersion it was based on (409 if the cluster moved on)."""
        document = _writable(body)
        document.setdefault("metadata", {})["resourceVersion"] = resource_version
        return self._send("PUT", resource.path(namespace, name), body=document, query=self._query(dry_run))

    def patch(self, resource: Resource, namespace: str, name: str, patch: dict[str, Any] | list[Any], *,
              patch_type: str = "application/merge-patch+json", dry_run: bool = False) -> dict[str, Any]:
        return self._send("PATCH", resource.path(namespace, name), body=patch, query=self._query(dry_run),
                          content_type=patch_type)

    def delete(self, resource: Resource, namespace: str, name: str, *, resource_version: str | None = None,
               uid: str | None = None, dry_run: bool = False) -> dict[str, Any]:
        """DELETE with preconditions: refused with 409 when the object is not the one we looked at."""
        preconditions = {key: value for key, value in (("resourceVersion", resource_version), ("uid", uid)) if value}
        body: dict[str, Any] = {"apiVersion": "v1", "kind": "DeleteOptions"}
        if preconditions:
            body["preconditions"] = preconditions
        if dry_run:
            body["dryRun"] = ["All"]
        query = {"dryRun": "All"} if dry_run else None
        return self._send("DELETE", resource.path(namespace, name), body=body, query=query)

    def _query(self, dry_run: bool) -> dict[str, str]:
        query = {"fieldManager": self.field_manager}
        if dry_run:
            query["dryRun"] = "All"
        return query

    def _send(self, method: str, path: str, *, body: Any = None, query: dict[str, str] | None = None,
              content_type: str = "application/json") -> dict[str, Any]:
        headers = self.impersonation.headers() if self.impersonation else None
        return self.transport.request(method, path, query=query, body=body, content_type=content_type,
                                      headers=headers)


def writer_for(access: ClusterAccess, *, impersonation: Impersonation | None = None) -> ObjectWriter:
    """A writer for one cluster; its requests say `smi-ui-writer` so the cluster's audit log can tell."""
    return ObjectWriter(transport_for(access, user_agent=WRITER_USER_AGENT), impersonation=impersonation)


def _writable(body: dict[str, Any]) -> dict[str, Any]:
    """A copy without managedFields: the server then keeps its own record of who owns which field."""
    document = copy.deepcopy(body)
    metadata = document.get("metadata")
    if isinstance(metadata, dict):
        metadata.pop("managedFields", None)
    return document
