"""One poller per (cluster, namespace) that someone watches: refresh, cache, publish the delta, keep history.

A failing provider never raises out of the poller: its figures are published as unavailable
with the reason, and the next refresh tries again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from django.db import close_old_connections, connections

from smi_ui.live.broadcast import publish
from smi_ui.live.groups import metrics_group
from smi_ui.ops.metrics import PROVIDER_ERRORS

from .deltas import metrics_delta
from .figures import NamespaceMetrics
from .history import History, history_point
from .providers.base import MetricsProvider, ProviderDisabled, ProviderError

log = logging.getLogger(__name__)

ProviderFactory = Callable[[int], MetricsProvider]
Publisher = Callable[[dict[str, Any], list[str]], None]
#: Marks a namespace's figures with policy verdicts (which edges the mesh denies): (cluster id, document) -> document.
Judge = Callable[[int, dict[str, Any]], dict[str, Any]]


class NamespacePoller:
    """Refreshes one namespace's figures every `interval` seconds in a thread of its own."""

    def __init__(self, cluster_id: int, namespace: str, provider_factory: ProviderFactory, *, interval: float,
                 window_seconds: float, history: History, publisher: Publisher = publish, judge: Judge | None = None):
        self.cluster_id = cluster_id
        self.namespace = namespace
        self.provider_factory = provider_factory
        self.interval = interval
        self.window_seconds = window_seconds
        self.history = history
        self.publisher = publisher
        self.judge = judge
        self.latest: dict[str, Any] | None = None  # NamespaceMetrics.as_json() of the last refresh
        self.refreshes = 0
        self.refreshed = threading.Condition()
        self._provider: MetricsProvider | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, daemon=True,
                                        name=f"metrics-{self.cluster_id}-{self.namespace}")
        self._thread.start()

    def stop(self, wait: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(wait)

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                started = time.monotonic()
                self.refresh()
                self._stop.wait(max(0.0, self.interval - (time.monotonic() - started)))
        finally:
            connections.close_all()  # this thread's connections only: nothing keeps them after it ends

    def refresh(self) -> dict[str, Any]:
        """One refresh: query, cache, record, publish what changed; returns the new cached document."""
        current = self._judged(self._measure().as_json())
        delta = metrics_delta(self.latest, current)
        with self.refreshed:
            self.latest = current
            self.refreshes += 1
            self.refreshed.notify_all()
        if current["available"]:
            try:
                self.history.record(self.cluster_id, self.namespace, current["observedAt"], history_point(current))
            except Exception as error:  # the history store (Redis) being down must not stop live figures
                log.warning("metrics history for %s/%s not recorded: %s", self.cluster_id, self.namespace, error)
        if delta is not None:
            message = {"type": "metrics.delta", "cluster": self.cluster_id, **delta}
            self.publisher(message, [metrics_group(self.cluster_id, self.namespace)])
        return current

    def _judged(self, document: dict[str, Any]) -> dict[str, Any]:
        """The figures with policy verdicts; unjudged (never lost) if the inventory cannot be read now."""
        if self.judge is None:
            return document
        try:
            return self.judge(self.cluster_id, document)
        except Exception as error:  # a database blip must not stop live figures
            log.warning("policy verdicts for %s/%s not marked: %s", self.cluster_id, self.namespace, error)
            close_old_connections()
            return document

    def _measure(self) -> NamespaceMetrics:
        try:
            if self._provider is None:
                close_old_connections()
                self._provider = self.provider_factory(self.cluster_id)
            return self._provider.namespace_metrics(self.namespace, self.window_seconds)
        except ProviderDisabled as error:
            return NamespaceMetrics(self.namespace, self.window_seconds, time.time(), available=False,
                                    reason=str(error))
        except ProviderError as error:
            reason = str(error)
        except Exception as error:  # an unexpected failure is reported like a provider failure, not raised
            log.exception("metrics refresh of %s/%s failed", self.cluster_id, self.namespace)
            reason = f"{type(error).__name__}: {error}"
        PROVIDER_ERRORS.labels(provider=type(self._provider).__name__ if self._provider else "unconfigured").inc()
        self._provider = None  # rebuilt next time: configuration or credentials may have changed
        return NamespaceMetrics(self.namespace, self.window_seconds, time.time(), available=False, reason=reason,
                                failed=True)

    def wait_for_refresh(self, after: int, timeout: float) -> bool:
        """Block until more than `after` refreshes happened (tests and the first subscriber)."""
        deadline = time.monotonic() + timeout
        with self.refreshed:
            while self.refreshes <= after:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self.refreshed.wait(remaining)
        return True
