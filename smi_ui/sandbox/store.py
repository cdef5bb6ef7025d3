"""Cluster state: objects, the cluster-wide resourceVersion counter and a bounded event history.

Like etcd behind kube-apiserver, every write gets the next resourceVersion, and each
resource keeps a window of recent events so watches can resume from a resourceVersion;
a resourceVersion older than the window is "too old" (410 Expired). All methods run on
the server's event loop thread, so there is no locking.
"""

from __future__ import annotations

import copy
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

GroupResource = tuple[str, str]
ObjectKey = tuple[str, str]  # (namespace or "", name)


@dataclass(frozen=True)
class StoredEvent:
    type: str  # ADDED | MODIFIED | DELETED
    resource_version: int
    object: dict[str, Any]
    previous: dict[str, Any] | None = None  # the object before this event (selector-filtered watches need it)


class TooOldResourceVersion(Exception):
    """The requested resourceVersion has left the event window; carries upstream's message."""

    def __init__(self, requested: int, oldest: int):
        super().__init__(f"too old resource version: {requested} ({oldest})")


class _History:
    def __init__(self, window: int):
        self.events: deque[StoredEvent] = deque(maxlen=max(window, 1))
        self.window = window
        self.evicted = False

    def append(self, event: StoredEvent) -> None:
        if self.window == 0:
            self.evicted = True
            return
        if len(self.events) == self.events.maxlen:
            self.evicted = True
        self.events.append(event)


Listener = Callable[[StoredEvent], None]


class ObjectStore:
    """Objects by group/resource and namespace/name, stamped with a global resourceVersion."""

    def __init__(self, watch_window: int = 1000, start_resource_version: int = 1000):
        self.resource_version = start_resource_version
        self.watch_window = watch_window
        self._objects: dict[GroupResource, dict[ObjectKey, dict[str, Any]]] = {}
        self._history: dict[GroupResource, _History] = {}
        self._listeners: dict[GroupResource, set[Listener]] = {}

    def get(self, resource: GroupResource, namespace: str, name: str) -> dict[str, Any] | None:
        found = self._objects.get(resource, {}).get((namespace, name))
        return copy.deepcopy(found) if found is not None else None

    def exists(self, resource: GroupResource, namespace: str, name: str) -> bool:
        return (namespace, name) in self._objects.get(resource, {})

    def list(self, resource: GroupResource, namespace: str | None = None) -> list[dict[str, Any]]:
        """Objects sorted by namespace then name (etcd key order), deep-copied."""
        objects = self._objects.get(resource, {})
        keys = sorted(k for k in objects if namespace is None or k[0] == namespace)
        return [copy.deepcopy(objects[k]) for k in keys]

    def scan(self, resource: GroupResource, namespace: str | None = None,
             after: tuple[str, str] | None = None) -> Iterator[dict[str, Any]]:
        """Stored objects in key order after `after`, NOT copied: callers copy what they hand out."""
        objects = self._objects.get(resource, {})
        for key in sorted(k for k in objects if (namespace is None or k[0] == namespace)
                          and (after is None or k > after)):
            yield objects[key]

    def namespaces_in_use(self, resource: GroupResource) -> set[str]:
        return {namespace for namespace, _ in self._objects.get(resource, {})}

    def next_resource_version(self) -> int:
        self.resource_version += 1
        return self.resource_version

    def commit(self, resource: GroupResource, event_type: str, obj: dict[str, Any]) -> dict[str, Any]:
        """Store (or remove, for DELETED) an object under a new resourceVersion and tell the watchers."""
        version = self.next_resource_version()
        stored = copy.deepcopy(obj)
        stored.setdefault("metadata", {})["resourceVersion"] = str(version)
        metadata = stored["metadata"]
        key = (metadata.get("namespace") or "", metadata["name"])
        bucket = self._objects.setdefault(resource, {})
        previous = bucket.get(key)
        if event_type == "DELETED":
            bucket.pop(key, None)
        else:
            bucket[key] = stored
        event = StoredEvent(event_type, version, stored, previous)
        self._history_for(resource).append(event)
        for listener in list(self._listeners.get(resource, ())):
            listener(event)
        return copy.deepcopy(stored)

    def _history_for(self, resource: GroupResource) -> _History:
        if resource not in self._history:
            self._history[resource] = _History(self.watch_window)
        return self._history[resource]

    def events_after(self, resource: GroupResource, resource_version: int) -> list[StoredEvent]:
        """Events newer than `resource_version`, or TooOldResourceVersion when some were already dropped."""
        history = self._history_for(resource)
        if history.evicted:
            oldest = history.events[0].resource_version if history.events else self.resource_version + 1
            if self.watch_window == 0:
                oldest = self.resource_version + 1
            if resource_version < oldest - 1:
                raise TooOldResourceVersion(resource_version, oldest - 1)
        return [event for event in history.events if event.resource_version > resource_version]

    def subscribe(self, resource: GroupResource, listener: Listener) -> None:
        self._listeners.setdefault(resource, set()).add(listener)

    def unsubscribe(self, resource: GroupResource, listener: Listener) -> None:
        self._listeners.get(resource, set()).discard(listener)

    def resize_window(self, window: int) -> None:
        """Change how many events each resource keeps (tests shrink it to force 410s)."""
        self.watch_window = window
        for history in self._history.values():
            kept = list(history.events)[-window:] if window else []
            evicted = history.evicted or len(kept) < len(history.events)
            history.events = deque(kept, maxlen=max(window, 1))
            history.window = window
            history.evicted = evicted or window == 0
