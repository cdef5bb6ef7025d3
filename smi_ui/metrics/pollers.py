"""Pollers run only while someone watches: the first subscriber starts one, the last one stops it."""

from __future__ import annotations

import threading
from typing import Any

from . import conf
from .history import History, default_history
from .poller import Judge, NamespacePoller, ProviderFactory


class PollerRegistry:
    """Reference-counted pollers per (cluster, namespace) in this process."""

    def __init__(self, provider_factory: ProviderFactory | None = None, history: History | None = None):
        self._provider_factory = provider_factory
        self._history = history
        self._lock = threading.Lock()
        self._pollers: dict[tuple[int, str], NamespacePoller] = {}
        self._watchers: dict[tuple[int, str], int] = {}

    def subscribe(self, cluster_id: int, namespace: str) -> dict[str, Any] | None:
        """Count a watcher in; returns the cached figures (None before the first refresh)."""
        key = (cluster_id, namespace)
        with self._lock:
            self._watchers[key] = self._watchers.get(key, 0) + 1
            poller = self._pollers.get(key)
            if poller is None:
                poller = self._pollers[key] = NamespacePoller(
                    cluster_id, namespace, self._factory(), interval=conf.poll_seconds(),
                    window_seconds=conf.window_seconds(), history=self.history, judge=self._judge())
                poller.start()
            return poller.latest

    def unsubscribe(self, cluster_id: int, namespace: str) -> None:
        key = (cluster_id, namespace)
        with self._lock:
            remaining = self._watchers.get(key, 0) - 1
            if remaining > 0:
                self._watchers[key] = remaining
                return
            self._watchers.pop(key, None)
            poller = self._pollers.pop(key, None)
        if poller is not None:
            poller.stop(wait=0)

    def poller(self, cluster_id: int, namespace: str) -> NamespacePoller | None:
        return self._pollers.get((cluster_id, namespace))

    def watched(self) -> dict[tuple[int, str], int]:
        with self._lock:
            return dict(self._watchers)

    def stop_all(self) -> None:
        with self._lock:
            pollers = list(self._pollers.values())
            self._pollers.clear()
            self._watchers.clear()
        for poller in pollers:
            poller.stop()

    @property
    def history(self) -> History:
        if self._history is None:
            self._history = default_history()
        return self._history

    def _judge(self) -> Judge:
        from smi_ui.policy.traffic import judge_namespace_figures  # policy reads metrics: imported when used

        return judge_namespace_figures

    def _factory(self) -> ProviderFactory:
        if self._provider_factory is None:
            from .selection import provider_for

            self._provider_factory = provider_for
        return self._provider_factory


#: The process's pollers, shared by every websocket consumer.
pollers = PollerRegistry()
