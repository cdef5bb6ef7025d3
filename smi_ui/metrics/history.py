"""A short rolling history of figures per (cluster, namespace) for sparklines, outside the main database.

Redis when REDIS_URL is set (shared by every web process), process memory otherwise.
Points older than the retention are dropped on every write.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from typing import Any, Protocol

from django.conf import settings

from . import conf


class History(Protocol):
    def record(self, cluster_id: int, namespace: str, at: float, point: dict[str, Any]) -> None: ...

    def points(self, cluster_id: int, namespace: str, since: float = 0.0) -> list[dict[str, Any]]: ...


class MemoryHistory:
    def __init__(self, retention_seconds: float):
        self.retention_seconds = retention_seconds
        self._lock = threading.Lock()
        self._points: dict[tuple[int, str], deque[tuple[float, dict[str, Any]]]] = {}

    def record(self, cluster_id: int, namespace: str, at: float, point: dict[str, Any]) -> None:
        with self._lock:
            points = self._points.setdefault((cluster_id, namespace), deque())
            points.append((at, point))
            while points and points[0][0] < at - self.retention_seconds:
                points.popleft()

    def points(self, cluster_id: int, namespace: str, since: float = 0.0) -> list[dict[str, Any]]:
        with self._lock:
            return [point for at, point in self._points.get((cluster_id, namespace), ()) if at >= since]


class RedisHistory:
    """One sorted set per namespace, scored by time; the key expires with the retention."""

    def __init__(self, url: str, retention_seconds: float):
        import redis

        self.redis = redis.Redis.from_url(url)
        self.retention_seconds = retention_seconds

    def _key(self, cluster_id: int, namespace: str) -> str:
        return f"smi-ui:metrics-history:{cluster_id}:{namespace}"

    def record(self, cluster_id: int, namespace: str, at: float, point: dict[str, Any]) -> None:
        key = self._key(cluster_id, namespace)
        pipeline = self.redis.pipeline()
        pipeline.zadd(key, {json.dumps({"at": at, **point}, sort_keys=True): at})
        pipeline.zremrangebyscore(key, "-inf", at - self.retention_seconds)
        pipeline.expire(key, int(self.retention_seconds) + 60)
        pipeline.execute()

    def points(self, cluster_id: int, namespace: str, since: float = 0.0) -> list[dict[str, Any]]:
        raw = self.redis.zrangebyscore(self._key(cluster_id, namespace), since, "+inf")
        return [{key: value for key, value in json.loads(item).items() if key != "at"} for item in raw]


def default_history() -> History:
    url = getattr(settings, "REDIS_URL", "")
    return RedisHistory(url, conf.history_seconds()) if url else MemoryHistory(conf.history_seconds())


def history_point(metrics_json: dict[str, Any]) -> dict[str, Any]:
    """The compact form kept per refresh: rate and success rate per workload and edge."""
    def compact(figures: dict[str, dict[str, Any]]) -> dict[str, list[Any]]:
        return {name: [values["rps"], values["success_rate"]] for name, values in figures.items()}
    return {"observedAt": metrics_json.get("observedAt", time.time()), "resources": compact(metrics_json["resources"]),
            "edges": compact(metrics_json["edges"])}
