"""One list-and-watch loop for every kind (an informer's reflector, in Python).

It lists, hands the full set to the handler (so deletions made while disconnected are
reconciled), then watches from the list's resourceVersion with bookmarks. A 410 Gone
means our resourceVersion left the server's window: re-list. Any other failure backs off
exponentially with jitter up to a cap, then re-lists, because events may have been missed.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Any, Protocol

from tenacity import Retrying, retry_if_exception_type, wait_exponential_jitter

from .resources import Resource
from .transport import ApiTransport, KubeApiError

log = logging.getLogger(__name__)


class WatchHandler(Protocol):
    """What a reflector reports to; sync's inventory writer implements it."""

    def on_list_start(self, resource: Resource) -> None:
        """A (re-)listing begins: forget any half-received earlier one."""

    def on_list_page(self, resource: Resource, items: list[dict[str, Any]]) -> None:
        """One page of a listing, handed over as it arrives."""

    def on_listed(self, resource: Resource, resource_version: str) -> None:
        """The listing is complete: everything not in its pages no longer exists."""

    def on_event(self, resource: Resource, event_type: str, obj: dict[str, Any]) -> None: ...

    def on_progress(
        self, resource: Resource, state: str, detail: str = "", listed: int = 0, status: int = 0
    ) -> None: ...


class HandlerUnavailable(Exception):
    """The handler could not store what it was given (its database is down): retry, then re-list."""


class ResourceVersionExpired(Exception):
    """The watch's resourceVersion is older than the server keeps: only a re-list helps."""


@dataclass
class WatchSettings:
    page_size: int = 500
    watch_timeout_seconds: int = 240  # server-side end of each watch; we then resume from the last RV
    backoff_initial: float = 0.5
    backoff_max: float = 30.0
    read_slack_seconds: float = 30.0  # client read timeout beyond the server's own


class Reflector:
    """Keeps one resource of one cluster mirrored into a handler until stopped."""

    def __init__(
        self,
        transport: ApiTransport,
        resource: Resource,
        handler: WatchHandler,
        *,
        namespace: str | None = None,
        settings: WatchSettings | None = None,
        stop: threading.Event | None = None,
    ):
        self.transport = transport
        self.resource = resource
        self.handler = handler
        self.namespace = namespace
        self.settings = settings or WatchSettings()
        self.stop = stop or threading.Event()
        self.resource_version = ""
        self.needs_list = True
        self.relists = 0
        self.listed = 0
        self._reported_stale = False
        self._response: Any = None

    def halt(self) -> None:
        """Stop now, closing an open watch stream instead of waiting for its next event."""
        self.stop.set()
        response = self._response
        if response is not None:
            try:
                response.shutdown() if hasattr(response, "shutdown") else response.close()
            except Exception as error:  # closing a half-dead socket may fail in many ways
                log.debug("closing watch stream: %s", error)

    def run(self) -> None:
        """Run until `stop` is set; never raises for server trouble, it reports it instead."""
        while not self.stop.is_set():
            retrying = Retrying(
                wait=wait_exponential_jitter(multiplier=self.settings.backoff_initial, max=self.settings.backoff_max),
                retry=retry_if_exception_type((KubeApiError, HandlerUnavailable)),
                sleep=self._interruptible_sleep,
                before_sleep=self._report_failure,
                reraise=True,
            )
            try:
                retrying(self._sync_until_stream_ends)
            except _Stopped:
                return

    def _sync_until_stream_ends(self) -> None:
        """List if we must, then watch from our resourceVersion until the server ends the stream.

        After a failed connection we resume the watch from the last resourceVersion rather
        than re-listing; the server answers 410 if that is too old, and only then we re-list.
        """
        if self.stop.is_set():
            raise _Stopped
        if self.needs_list:
            self.list_all()
        try:
            self._watch_until_stream_ends()
        except HandlerUnavailable:
            self.needs_list = True  # events may have been lost: only a full listing is sure
            raise

    def _watch_until_stream_ends(self) -> None:
        while True:
            try:
                self.watch_once()
                return
            except ResourceVersionExpired:
                log.info("%s: resourceVersion %s expired, re-listing", self.resource.group_resource,
                         self.resource_version)
                self.relists += 1
                self.list_all()

    def list_all(self) -> None:
        """List every object (paginated), handing each page over, then mark the listing complete."""
        self.handler.on_list_start(self.resource)
        self.handler.on_progress(self.resource, "syncing", listed=0)
        listed = 0
        token = ""
        while True:
            page = self.transport.request(
                "GET",
                self.resource.path(self.namespace),
                query={"limit": self.settings.page_size, "continue": token or None},
            )
            items = page.get("items", [])
            for item in items:
                item.setdefault("apiVersion", self.resource.api_version)
                item.setdefault("kind", self.resource.kind)
            self.handler.on_list_page(self.resource, items)
            listed += len(items)
            self.handler.on_progress(self.resource, "syncing", listed=listed)
            metadata = page.get("metadata", {})
            token = metadata.get("continue", "")
            if not token:
                self.resource_version = metadata.get("resourceVersion", "")
                break
        self.handler.on_listed(self.resource, self.resource_version)
        self.needs_list = False
        self.listed = listed
        self._reported_stale = False
        self.handler.on_progress(self.resource, "connected", listed=listed)

    def watch_once(self) -> None:
        """Watch from the current resourceVersion until the server closes the stream."""
        query = {
            "watch": True,
            "resourceVersion": self.resource_version,
            "allowWatchBookmarks": True,
            "timeoutSeconds": self.settings.watch_timeout_seconds,
        }
        read_timeout = self.settings.watch_timeout_seconds + self.settings.read_slack_seconds
        events = self.transport.stream_lines(
            self.resource.path(self.namespace), query=query, read_timeout=read_timeout, opened=self._remember_response
        )
        for event in events:
            if self.stop.is_set():
                return
            event_type = event.get("type")
            obj = event.get("object") or {}
            if event_type == "ERROR":
                if obj.get("code") == 410:
                    raise ResourceVersionExpired(obj.get("message", ""))
                raise KubeApiError(int(obj.get("code") or 500), obj.get("reason", ""), obj.get("message", ""), obj)
            new_version = (obj.get("metadata") or {}).get("resourceVersion")
            if event_type != "BOOKMARK":
                self.handler.on_event(self.resource, event_type, obj)
            if new_version:
                self.resource_version = new_version

    def _remember_response(self, response: Any) -> None:
        """Called once the server accepted the watch: we are connected again."""
        self._response = response
        if self.stop.is_set():
            self.halt()
        elif self._reported_stale:
            self._reported_stale = False
            self.handler.on_progress(self.resource, "connected", listed=self.listed)

    def _interruptible_sleep(self, seconds: float) -> None:
        if self.stop.wait(seconds):
            raise _Stopped

    def _report_failure(self, retry_state: Any) -> None:
        error = retry_state.outcome.exception()
        log.warning("%s: %s; retrying in %.1fs", self.resource.group_resource, error,
                    retry_state.next_action.sleep if retry_state.next_action else 0)
        self._reported_stale = True
        status = error.status if isinstance(error, KubeApiError) else 0
        self.handler.on_progress(self.resource, "stale", detail=str(error), status=status)


class _Stopped(Exception):
    """Raised inside the retry loop to leave it when the reflector is asked to stop."""
