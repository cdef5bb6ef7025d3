"""One list-and-watch loop for every kind (an informer's reflector, in Python).

It lists, hands the full set to the handler (so deletions made while disconnected are
reconciled), then watches from the list's resourceVersion with bookmarks. A 410 Gone
means our resourceVersion left the server's window: re-list. Any other failure backs off
exponentially with jitter up to a cap (at least what a 429's Retry-After asks), and the
backoff starts over once a watch has stayed open for a while, so one outage does not make
every later blip cost the cap. Events are read on a thread of their own and handed over in
batches of whatever has arrived, so a burst is stored in a few transactions, in order.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Iterator
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

    def on_events(self, resource: Resource, events: list[tuple[str, dict[str, Any]]]) -> None:
        """Several events in the order received (optional; else `on_event` is called for each)."""

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
    backoff_jitter: float = 1.0  # up to this many seconds added at random, so clients do not retry in step
    healthy_after_seconds: float = 10.0  # a watch open this long resets the backoff
    read_slack_seconds: float = 30.0  # client read timeout beyond the server's own
    batch_max_events: int = 500  # events handed over at most at once
    batch_linger_seconds: float = 0.005  # during a burst, wait this long for more before handing over


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
        self._connected_at: float | None = None
        self._exponential = wait_exponential_jitter(
            multiplier=self.settings.backoff_initial, max=self.settings.backoff_max, jitter=self.settings.backoff_jitter
        )

    def halt(self) -> None:
        """Stop now, closing an open watch stream instead of waiting for its next event."""
        self.stop.set()
        self.halt_stream()

    def halt_stream(self) -> None:
        """Close the open watch stream, if any (its reader then ends)."""
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
                wait=self._backoff,
                retry=retry_if_exception_type((KubeApiError, HandlerUnavailable)),
                after=self._restart_backoff_when_healthy,
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
        self._connected_at = None
        feed = EventFeed(self.stop, name=f"watch-read-{self.resource.plural}",
                         capacity=self.settings.batch_max_events * 4)

        def opened(response: Any) -> None:
            self._remember_response(response)
            feed.opened()

        feed.start(self.transport.stream_lines(
            self.resource.path(self.namespace), query=query, read_timeout=read_timeout, opened=opened
        ))
        try:
            for batch in feed.batches(self.settings.batch_max_events, self.settings.batch_linger_seconds,
                                      on_opened=self._report_connected):
                if self.stop.is_set():
                    return
                self._hand_over(batch)
        except KubeApiError as error:
            if error.status == 410:  # some servers refuse the watch itself rather than send an ERROR event
                raise ResourceVersionExpired(error.message) from error
            raise
        finally:
            feed.close(self.halt_stream)

    def _hand_over(self, batch: list[dict[str, Any]]) -> None:
        """Store one batch, then move our resourceVersion past it.

        An ERROR event ends the watch once the events before it are stored.
        """
        pending: list[tuple[str, dict[str, Any]]] = []
        version = self.resource_version
        failure: Exception | None = None
        for event in batch:
            event_type = event.get("type")
            obj = event.get("object") or {}
            if event_type == "ERROR":
                if obj.get("code") == 410:
                    failure = ResourceVersionExpired(obj.get("message", ""))
                else:
                    failure = KubeApiError(int(obj.get("code") or 500), obj.get("reason", ""),
                                           obj.get("message", ""), obj)
                break
            if event_type != "BOOKMARK":
                pending.append((str(event_type), obj))
            version = (obj.get("metadata") or {}).get("resourceVersion") or version
        if pending:
            on_events = getattr(self.handler, "on_events", None)
            if on_events is not None:
                on_events(self.resource, pending)
            else:
                for event_type, obj in pending:
                    self.handler.on_event(self.resource, event_type, obj)
        self.resource_version = version
        if failure is not None:
            raise failure

    def _remember_response(self, response: Any) -> None:
        """Called (on the reading thread) once the server accepted the watch."""
        self._response = response
        self._connected_at = time.monotonic()
        if self.stop.is_set():
            self.halt()

    def _report_connected(self) -> None:
        """We are connected again: say so, from the reflector's own thread (handlers store state)."""
        if self._reported_stale and not self.stop.is_set():
            self._reported_stale = False
            self.handler.on_progress(self.resource, "connected", listed=self.listed)

    def _interruptible_sleep(self, seconds: float) -> None:
        if self.stop.wait(seconds):
            raise _Stopped

    def _restart_backoff_when_healthy(self, retry_state: Any) -> None:
        """A failure after a watch stayed open `healthy_after_seconds` is a first failure again."""
        if self._connected_at is not None and \
                time.monotonic() - self._connected_at >= self.settings.healthy_after_seconds:
            retry_state.attempt_number = 1
        self._connected_at = None

    def _backoff(self, retry_state: Any) -> float:
        """Exponential with jitter, and never shorter than what the server asked for (429 Retry-After)."""
        return max(self._exponential(retry_state), retry_after_seconds(retry_state.outcome.exception()))

    def _report_failure(self, retry_state: Any) -> None:
        if self.stop.is_set():
            raise _Stopped  # the stream failed because we closed it: nothing is wrong with the server
        error = retry_state.outcome.exception()
        log.warning("%s: %s; retrying in %.1fs", self.resource.group_resource, error,
                    retry_state.next_action.sleep if retry_state.next_action else 0)
        self._reported_stale = True
        status = error.status if isinstance(error, KubeApiError) else 0
        self.handler.on_progress(self.resource, "stale", detail=str(error), status=status)


def retry_after_seconds(error: BaseException | None) -> float:
    """The wait a 429/503 asks for (`details.retryAfterSeconds`, as the API server sends it), else 0."""
    if not isinstance(error, KubeApiError) or error.status not in (429, 503):
        return 0.0
    details = (error.body or {}).get("details") or {}
    try:
        return max(0.0, float(details.get("retryAfterSeconds") or 0))
    except (TypeError, ValueError):
        return 0.0


class EventFeed:
    """Reads a watch stream on a thread of its own, so the reader can take what has arrived as one batch.

    The queue is bounded: when storing falls behind, reading pauses (the server buffers)
    rather than memory growing. Failures of the stream are handed over after the events
    that preceded them.
    """

    def __init__(self, stop: threading.Event, *, name: str, capacity: int):
        self._queue: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=max(1, capacity))
        self._stop = stop
        self._closed = threading.Event()
        self._name = name
        self._thread: threading.Thread | None = None

    def start(self, events: Iterator[dict[str, Any]]) -> None:
        self._thread = threading.Thread(target=self._read, args=(events,), name=self._name, daemon=True)
        self._thread.start()

    def opened(self) -> None:
        """The server accepted the watch (called on the reading thread)."""
        self._put(("opened", None))

    def _read(self, events: Iterator[dict[str, Any]]) -> None:
        try:
            for event in events:
                if not self._put(("event", event)):
                    return
            self._put(("end", None))
        except Exception as error:  # handed to the reflector, which decides
            self._put(("error", error))

    def _put(self, item: tuple[str, Any]) -> bool:
        while not self._closed.is_set():
            try:
                self._queue.put(item, timeout=0.2)
                return True
            except queue.Full:
                continue
        return False

    def _take(self, timeout: float | None) -> tuple[str, Any] | None:
        try:
            return self._queue.get(timeout=timeout) if timeout is None or timeout > 0 else self._queue.get_nowait()
        except queue.Empty:
            return None

    def batches(self, limit: int, linger: float,
                on_opened: Any = None) -> Iterator[list[dict[str, Any]]]:
        """Yield lists of events: what is queued (up to `limit`); during a burst, what arrives within `linger`."""
        while True:
            item = None
            while item is None:
                if self._stop.is_set():
                    return
                item = self._take(0.5)
            batch: list[dict[str, Any]] = []
            deadline: float | None = None
            while item is not None:
                kind, value = item
                if kind == "opened":
                    if on_opened is not None:
                        on_opened()
                    item = self._take(0)
                    continue
                if kind != "event":
                    if batch:
                        yield batch
                    if kind == "error":
                        raise value
                    return
                batch.append(value)
                if len(batch) >= limit:
                    break
                item = self._take(0)
                if item is None and len(batch) > 1:  # a burst: give the rest of it a moment to arrive
                    deadline = deadline or time.monotonic() + linger
                    item = self._take(deadline - time.monotonic())
            if batch:
                yield batch

    def close(self, end_stream: Any) -> None:
        """Stop reading: close the stream and unblock the reader thread."""
        self._closed.set()
        if self._thread is not None and self._thread.is_alive():
            end_stream()
            self._thread.join(timeout=2)


class _Stopped(Exception):
    """Raised inside the retry loop to leave it when the reflector is asked to stop."""
