"""Watch streams: initial state or replay from a resourceVersion, live events, bookmarks, 410s.

Semantics follow kube-apiserver's watch cache: no/`0` resourceVersion starts with
synthetic ADDED events for the current state, a newer one replays the kept history
after it, one that fell out of the window (or predates it) gets a single `ERROR` event
carrying a 410 `Expired` Status instead of a replay. Selector-filtered watches turn
"stopped matching" into DELETED and "started matching" into ADDED, as upstream does.
A watch of a version its CRD stops serving ends at once, as upstream tears the
version's storage down.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from .cluster import ClusterState
from .resources import CRD_GROUP_RESOURCE, ResourceType
from .selectors import FieldSelector, LabelSelector
from .status import expired
from .store import StoredEvent, TooOldResourceVersion

Emit = Callable[[str, dict[str, Any]], Awaitable[None]]
INITIAL_EVENTS_END = "k8s.io/initial-events-end"


@dataclass
class WatchRequest:
    resource_type: ResourceType
    namespace: str | None
    labels: LabelSelector
    fields: FieldSelector
    resource_version: str | None
    bookmarks: bool
    timeout: float | None
    send_initial_events: bool = False


class ActiveWatch:
    """A running watch the hub can end (fault injection) or nudge to send a bookmark."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[StoredEvent | str] = asyncio.Queue()

    def stop(self) -> None:
        self.queue.put_nowait("stop")

    def bookmark(self) -> None:
        self.queue.put_nowait("bookmark")

    def crd_changed(self, _event: StoredEvent) -> None:
        self.queue.put_nowait("catalog")


class WatchHub:
    """All open watches of a server, and how often they get bookmarks."""

    def __init__(self, bookmark_interval: float = 60.0):
        self.bookmark_interval = bookmark_interval
        self.active: set[ActiveWatch] = set()

    def drop_all(self) -> int:
        count = len(self.active)
        for watch in list(self.active):
            watch.stop()
        return count

    def bookmark_all(self) -> None:
        for watch in list(self.active):
            watch.bookmark()


def _matcher(request: WatchRequest) -> Callable[[dict[str, Any]], bool]:
    def matches(obj: dict[str, Any]) -> bool:
        metadata = obj.get("metadata") or {}
        if request.namespace is not None and metadata.get("namespace", "") != request.namespace:
            return False
        return request.labels.matches(metadata.get("labels")) and request.fields.matches(obj)
    return matches


def translate(event: StoredEvent, matches: Callable[[dict[str, Any]], bool]) -> tuple[str, dict[str, Any]] | None:
    """The event a filtered watcher sees for a stored event, if any."""
    now = matches(event.object)
    before = event.previous is not None and matches(event.previous)
    if event.type == "ADDED":
        return ("ADDED", event.object) if now else None
    if event.type == "DELETED":
        return ("DELETED", event.object) if now or before else None
    if now and before:
        return ("MODIFIED", event.object)
    if now:
        return ("ADDED", event.object)
    if before:
        return ("DELETED", event.object)
    return None


def bookmark_object(state: ClusterState, resource_type: ResourceType, initial_end: bool = False) -> dict[str, Any]:
    metadata: dict[str, Any] = {"resourceVersion": str(state.store.resource_version), "creationTimestamp": None}
    if initial_end:
        metadata["annotations"] = {INITIAL_EVENTS_END: "true"}
    return {"kind": resource_type.kind, "apiVersion": resource_type.api_version, "metadata": metadata}


async def run_watch(state: ClusterState, hub: WatchHub, request: WatchRequest, emit: Emit) -> None:
    """Stream events to `emit` until the timeout, a stop from the hub, or the client going away."""
    resource_type = request.resource_type
    group_resource = resource_type.group_resource
    matches = _matcher(request)
    watch = ActiveWatch()
    state.store.subscribe(group_resource, watch.queue.put_nowait)
    state.store.subscribe(CRD_GROUP_RESOURCE, watch.crd_changed)
    hub.active.add(watch)
    try:
        requested = request.resource_version
        if request.send_initial_events or requested in (None, "", "0"):
            for obj in state.store.list(group_resource, request.namespace):
                if matches(obj):
                    await emit("ADDED", state.output(resource_type, obj))
            if request.send_initial_events and request.bookmarks:
                await emit("BOOKMARK", bookmark_object(state, resource_type, initial_end=True))
        else:
            try:
                replay = state.store.events_after(group_resource, int(requested))
            except (TooOldResourceVersion, ValueError) as error:
                message = str(error) if isinstance(error, TooOldResourceVersion) else \
                    f"invalid resource version: {requested}"
                await emit("ERROR", expired(message).status())
                return
            for event in replay:
                seen = translate(event, matches)
                if seen:
                    await emit(seen[0], state.output(resource_type, seen[1]))
        deadline = time.monotonic() + request.timeout if request.timeout else None
        while True:
            wait = hub.bookmark_interval if request.bookmarks else None
            if deadline is not None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return
                wait = remaining if wait is None else min(wait, remaining)
            try:
                item = await asyncio.wait_for(watch.queue.get(), wait)
            except TimeoutError:
                if request.bookmarks and (deadline is None or deadline - time.monotonic() > 0):
                    await emit("BOOKMARK", bookmark_object(state, resource_type))
                continue
            if item == "stop":
                return
            if item == "catalog":
                if state.catalog.lookup(resource_type.group, resource_type.version, resource_type.plural) is None:
                    return  # the version is no longer served
                continue
            if item == "bookmark":
                if request.bookmarks:
                    await emit("BOOKMARK", bookmark_object(state, resource_type))
                continue
            assert isinstance(item, StoredEvent)
            seen = translate(item, matches)
            if seen:
                await emit(seen[0], state.output(resource_type, seen[1]))
    finally:
        hub.active.discard(watch)
        state.store.unsubscribe(group_resource, watch.queue.put_nowait)
        state.store.unsubscribe(CRD_GROUP_RESOURCE, watch.crd_changed)
