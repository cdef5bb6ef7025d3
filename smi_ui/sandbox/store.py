"""Cluster state: objects, the cluster-wide resourceVersion counter and bounded event histories.

Like etcd behind kube-apiserver, every write gets the next resourceVersion. Two windows
of past events are kept, as upstream keeps two:

- per resource, the watch cache's: a watch resumes from a resourceVersion inside it; one
  older than the window, or older than the point the window started (server start, or the
  last change of the resource's CRD), is "too old" (410 Expired) and is not replayed;
- cluster-wide, etcd's history up to its compaction: a list can be read as it was at a
  past resourceVersion inside it (`resourceVersionMatch=Exact`, the later pages of a
  paginated list); older revisions are compacted (410).

All methods run on the server's event loop thread, so there is no locking.
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


class Compacted(Exception):
    """The requested revision is older than etcd's compaction point."""

    def __init__(self, requested: int, compacted: int):
        super().__init__(f"required revision {requested} has been compacted (compacted revision {compacted})")
        self.requested = requested
        self.compacted = compacted


class _History:
    def __init__(self, window: int, start: int):
        self.events: deque[StoredEvent] = deque(maxlen=max(window, 1))
        self.window = window
        self.evicted = False
        self.start = start  # the resourceVersion the window begins after (the watch cache's list RV)

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

    def __init__(self, watch_window: int = 1000, start_resource_version: int = 1000,
                 compaction_window: int = 20000):
        self.resource_version = start_resource_version
        self.start_resource_version = start_resource_version
        self.watch_window = watch_window
        self.compaction_window = max(compaction_window, 1)
        self.compacted = start_resource_version  # no revision at or before this one can be read back
        self._objects: dict[GroupResource, dict[ObjectKey, dict[str, Any]]] = {}
        self._history: dict[GroupResource, _History] = {}
        self._log: deque[tuple[GroupResource, StoredEvent]] = deque()
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
             after: tuple[str, str] | None = None, at: int | None = None) -> Iterator[dict[str, Any]]:
        """Stored objects in key order after `after`, NOT copied: callers copy what they hand out.

        With `at`, the objects as they were at that resourceVersion (Compacted if it is too old).
        """
        objects = self._objects.get(resource, {})
        if at is not None and at < self.resource_version:
            changed = self.state_at(resource, at)
            if changed:
                objects = dict(objects)
                for key, value in changed.items():
                    if value is None:
                        objects.pop(key, None)
                    else:
                        objects[key] = value
        for key in sorted(k for k in objects if (namespace is None or k[0] == namespace)
                          and (after is None or k > after)):
            yield objects[key]

    def state_at(self, resource: GroupResource, revision: int) -> dict[ObjectKey, dict[str, Any] | None]:
        """The objects changed since `revision`, each as it was then (None: it did not exist)."""
        if revision < self.compacted:
            raise Compacted(revision, self.compacted)
        before: dict[ObjectKey, dict[str, Any] | None] = {}
        for group_resource, event in reversed(self._log):
            if event.resource_version <= revision:
                break
            if group_resource == resource:
                metadata = event.object.get("metadata") or {}
                before[(metadata.get("namespace") or "", metadata.get("name", ""))] = event.previous
        return before

    def compact(self, revision: int | None = None) -> None:
        """Forget the history up to `revision` (default: now), as kube-apiserver's periodic etcd compaction."""
        target = self.resource_version if revision is None else min(revision, self.resource_version)
        while self._log and self._log[0][1].resource_version <= target:
            self._log.popleft()
        self.compacted = max(self.compacted, target)

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
        self._log.append((resource, event))
        if len(self._log) > self.compaction_window:
            self.compacted = self._log.popleft()[1].resource_version
        for listener in list(self._listeners.get(resource, ())):
            listener(event)
        return copy.deepcopy(stored)

    def _history_for(self, resource: GroupResource) -> _History:
        if resource not in self._history:
            self._history[resource] = _History(self.watch_window, self.start_resource_version)
        return self._history[resource]

    def restart_history(self, resource: GroupResource) -> None:
        """A new watch cache for `resource` (its CRD changed): nothing before now can be replayed."""
        self._history[resource] = _History(self.watch_window, self.resource_version)

    def events_after(self, resource: GroupResource, resource_version: int) -> list[StoredEvent]:
        """Events newer than `resource_version`, or TooOldResourceVersion when it is older than the window.

        As upstream's watch cache: with nothing evicted the window begins right after the
        resourceVersion it started at, otherwise at its oldest kept event.
        """
        history = self._history_for(resource)
        if history.evicted:
            oldest = history.events[0].resource_version if history.events else self.resource_version + 1
            if self.watch_window == 0:
                oldest = self.resource_version + 1
        else:
            oldest = history.start + 1
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

    # ---- persistence (the demo cluster keeps its objects across restarts) --------------------------

    def snapshot(self) -> dict[str, Any]:
        """Every stored object with the resourceVersion counter, as plain JSON data."""
        return {"resourceVersion": self.resource_version,
                "objects": [{"group": group, "resource": resource, "object": copy.deepcopy(obj)}
                            for (group, resource), bucket in sorted(self._objects.items())
                            for _, obj in sorted(bucket.items())]}

    def restore(self, snapshot: dict[str, Any]) -> None:
        """Replace every object with a snapshot's, keeping their uids and resourceVersions.

        Like an API server restarted on the same etcd: objects and the counter carry on, the
        watch caches start empty at the restored resourceVersion, and older revisions are gone.
        """
        objects: dict[GroupResource, dict[ObjectKey, dict[str, Any]]] = {}
        for entry in snapshot["objects"]:
            obj = entry["object"]
            metadata = obj["metadata"]
            objects.setdefault((entry["group"], entry["resource"]), {})[
                (metadata.get("namespace") or "", metadata["name"])] = obj
        self._objects = objects
        self.resource_version = self.start_resource_version = self.compacted = int(snapshot["resourceVersion"])
        self._history.clear()
        self._log.clear()
