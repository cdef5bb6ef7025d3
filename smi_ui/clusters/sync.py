"""Sync workers: keep every leased cluster's objects in the inventory, list + watch.

One `ClusterSync` per cluster runs one reflector thread per resource (the linking core
kinds plus every SMI kind the cluster serves, in its preferred version). Discovery is
re-read periodically and whenever a watch gets 404, so a CRD upgrade switches versions
without a restart. `SyncWorker` holds leases so each cluster is synced by one process.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import DatabaseError, close_old_connections, connection, transaction
from django.utils import timezone
from tenacity import Retrying, retry_if_exception_type, wait_exponential_jitter

from smi_ui.inventory import services as inventory
from smi_ui.inventory.normalize import trim_workload
from smi_ui.kube.client import ClusterAccess, transport_for
from smi_ui.kube.discovery import SmiDiscovery, discover_smi
from smi_ui.kube.resources import CORE_RESOURCES, Resource, smi_resource
from smi_ui.kube.transport import ApiTransport, KubeApiError
from smi_ui.kube.watch import HandlerUnavailable, Reflector, WatchSettings
from smi_ui.live.broadcast import publish_change, publish_resync
from smi_ui.ops.metrics import WATCH_RESTARTS

from . import leases
from .models import Cluster, KindStatus, SyncState

log = logging.getLogger(__name__)

#: Above this many changes in one listing or batch, subscribers get one "resynced" message per namespace.
PER_OBJECT_EVENT_LIMIT = 200
#: A cluster whose client cannot be built (a bad kubeconfig, a missing file); retried with backoff.


def access_for(cluster: Cluster) -> ClusterAccess:
    return ClusterAccess(
        method=cluster.auth_method,
        server=cluster.api_server,
        context=cluster.kubeconfig_context,
        insecure_skip_tls_verify=cluster.insecure_skip_tls_verify,
        credentials=cluster.credentials,
    )


@contextlib.contextmanager
def storage_guard() -> Iterator[None]:
    """Database trouble (a restart, a failover) becomes a retryable handler error, never a dead thread."""
    try:
        yield
    except DatabaseError as error:
        log.warning("inventory storage failed: %s", error)
        _drop_broken_connection()
        raise HandlerUnavailable(str(error)) from error
    finally:
        close_old_connections()


def _drop_broken_connection() -> None:
    try:
        connection.close()
    except DatabaseError:
        pass


class InventoryHandler:
    """Receives a reflector's listings and events and stores them for one cluster."""

    def __init__(self, cluster_id: int, on_not_found: Any = None):
        self.cluster_id = cluster_id
        self.on_not_found = on_not_found
        self._reconcilers: dict[str, inventory.ListingReconciler] = {}
        self._listed_once: set[str] = set()

    def on_list_start(self, resource: Resource) -> None:
        if resource.kind in self._listed_once:
            WATCH_RESTARTS.labels(kind=resource.kind, reason="relist").inc()
        self._listed_once.add(resource.kind)
        with storage_guard():
            self._reconcilers[resource.kind] = inventory.ListingReconciler(self.cluster_id, resource.kind)

    def on_list_page(self, resource: Resource, items: list[dict[str, Any]]) -> None:
        """Store each page as it arrives: memory stays bounded by the page size on huge clusters."""
        with storage_guard():
            self._reconcilers[resource.kind].add_page([trim_workload(item) for item in items])

    def on_listed(self, resource: Resource, resource_version: str) -> None:
        with storage_guard():
            changes = self._reconcilers.pop(resource.kind).finish()
            publish_changes(self.cluster_id, resource.kind, changes)
            KindStatus.objects.filter(cluster_id=self.cluster_id, kind=resource.kind).update(
                last_synced_at=timezone.now()
            )

    def on_event(self, resource: Resource, event_type: str, obj: dict[str, Any]) -> None:
        self.on_events(resource, [(event_type, obj)])

    def on_events(self, resource: Resource, events: list[tuple[str, dict[str, Any]]]) -> None:
        """Store a batch of watch events in one transaction, with one status update, then publish."""
        if not events:
            return
        observed = []
        for event_type, obj in events:
            obj.setdefault("apiVersion", resource.api_version)
            obj.setdefault("kind", resource.kind)
            deleted = event_type == "DELETED"
            observed.append(inventory.Observed("DELETED" if deleted else "MODIFIED",
                                               obj if deleted else trim_workload(obj)))
        with storage_guard():
            with transaction.atomic():
                changes = inventory.apply_events(self.cluster_id, observed)
                now = timezone.now()
                KindStatus.objects.filter(cluster_id=self.cluster_id, kind=resource.kind).update(
                    last_event_at=now, event_lag_ms=_lag_ms(events[-1][1], now)
                )
                Cluster.objects.filter(pk=self.cluster_id).update(last_event_at=now)
        publish_changes(self.cluster_id, resource.kind, changes)

    def on_progress(self, resource: Resource, state: str, detail: str = "", listed: int = 0, status: int = 0) -> None:
        """Status is best effort: with the database down it is simply not recorded."""
        try:
            with storage_guard():
                record_kind_state(self.cluster_id, resource, state, detail=detail, listed=listed)
        except HandlerUnavailable:
            pass
        if state == SyncState.STALE:
            WATCH_RESTARTS.labels(kind=resource.kind, reason="error").inc()
        if status == 404 and self.on_not_found is not None:
            self.on_not_found(resource)


def publish_changes(cluster_id: int, kind: str, changes: list[inventory.StoredChange]) -> None:
    """One message per change; above PER_OBJECT_EVENT_LIMIT, one "resynced" message per namespace."""
    if len(changes) > PER_OBJECT_EVENT_LIMIT:
        for namespace in sorted({change.namespace for change in changes}):
            publish_resync(cluster_id, kind, namespace)
        return
    for change in changes:
        publish_change(change.cluster_id, change.kind, change.namespace, change.name, change.resource_version,
                       change.change)


def record_kind_state(cluster_id: int, resource: Resource, state: str, *, detail: str = "", listed: int = 0) -> None:
    """Store one kind's state and derive the cluster's overall state from all kinds."""
    now = timezone.now()
    status, _ = KindStatus.objects.get_or_create(
        cluster_id=cluster_id, kind=resource.kind, defaults={"api_version": resource.api_version}
    )
    status.api_version = resource.api_version
    status.state = state
    if state == SyncState.STALE:
        status.last_error = detail[:2000]
        status.stale_since = status.stale_since or now
    else:
        status.listed = listed
        if state == SyncState.CONNECTED:
            status.stale_since = None
            status.last_error = ""
    status.save()
    refresh_cluster_state(cluster_id)


def refresh_cluster_state(cluster_id: int) -> None:
    """Derive the cluster's state from its kinds, one refresher at a time (reflector threads race)."""
    with transaction.atomic():
        cluster = Cluster.objects.select_for_update().get(pk=cluster_id)
        states = list(KindStatus.objects.filter(cluster_id=cluster_id).values_list("state", "last_error"))
        if any(state == SyncState.STALE for state, _ in states):
            cluster.mark_stale(next(err for state, err in states if state == SyncState.STALE))
        elif any(state in (SyncState.SYNCING, SyncState.PENDING) for state, _ in states):
            cluster.state = SyncState.SYNCING
        elif states:
            cluster.state = SyncState.CONNECTED
            cluster.stale_since = None
            cluster.last_error = ""
        cluster.save(update_fields=["state", "stale_since", "last_error", "updated_at"])


class ClusterSync:
    """All reflectors of one cluster, restarted with new versions when discovery changes."""

    def __init__(self, cluster: Cluster, *, watch_settings: WatchSettings | None = None,
                 rediscover_seconds: float | None = None, user_agent: str = "smi-ui-sync"):
        self.cluster_id = cluster.pk
        self.user_agent = user_agent
        self.name = cluster.name
        self.watch_settings = watch_settings or WatchSettings()
        self.rediscover_seconds = rediscover_seconds or getattr(settings, "SYNC_REDISCOVER_SECONDS", 60)
        self.stop_event = threading.Event()
        self.rediscover_now = threading.Event()
        self.transport: ApiTransport | None = None
        self.discovery: SmiDiscovery | None = None
        self._reflectors: dict[str, tuple[Reflector, threading.Thread]] = {}
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=f"sync-{self.name}", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5, *, final_state: str | None = None) -> None:
        """Halt every watch (closing its stream) and wait, within one deadline, for the threads.

        With `final_state` (disabled, or pending when this process stops), the cluster and
        its kinds then read that, not the error the closed streams would otherwise leave.
        """
        self.stop_event.set()
        self.rediscover_now.set()
        for reflector, _ in list(self._reflectors.values()):
            reflector.halt()
        deadline = time.monotonic() + timeout
        threads = [self._thread] if self._thread else []
        threads += [thread for _, thread in list(self._reflectors.values())]
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        if final_state is not None:
            record_stopped(self.cluster_id, final_state)

    @property
    def alive(self) -> bool:
        return bool(self._thread and self._thread.is_alive())

    def _run(self) -> None:
        try:
            self.transport = self._connect()
            while not self.stop_event.is_set():
                try:
                    self._discover_and_apply()
                except DatabaseError as error:  # the database restarts: try again at the next round
                    log.warning("cluster %s: storing discovery failed: %s", self.name, error)
                    _drop_broken_connection()
                self.rediscover_now.wait(self.rediscover_seconds)
                self.rediscover_now.clear()
        except _SyncStopped:
            pass
        except Exception:
            log.exception("sync of cluster %s stopped", self.name)
        finally:
            connection.close()

    def _connect(self) -> ApiTransport:
        """Build the cluster's client, retrying with backoff; meanwhile the cluster reads `error` with the reason.

        The cluster is re-read on every attempt, so fixed credentials are picked up without a restart.
        """
        backoff = self.watch_settings
        retrying = Retrying(
            wait=wait_exponential_jitter(multiplier=backoff.backoff_initial, max=backoff.backoff_max,
                                         jitter=backoff.backoff_jitter),
            retry=retry_if_exception_type(Exception),
            sleep=self._sleep_or_stop,
            before_sleep=self._record_client_error,
            reraise=True,
        )
        return retrying(self._build_transport)

    def _build_transport(self) -> ApiTransport:
        if self.stop_event.is_set():
            raise _SyncStopped
        try:
            cluster = Cluster.objects.get(pk=self.cluster_id)
            transport = transport_for(access_for(cluster), user_agent=self.user_agent)
            if cluster.state == SyncState.ERROR:
                Cluster.objects.filter(pk=self.cluster_id).update(state=SyncState.PENDING, last_error="",
                                                                  state_detail="")
            return transport
        finally:
            close_old_connections()

    def _sleep_or_stop(self, seconds: float) -> None:
        if self.stop_event.wait(seconds):
            raise _SyncStopped

    def _record_client_error(self, retry_state: Any) -> None:
        error = retry_state.outcome.exception()
        if isinstance(error, _SyncStopped):
            raise error
        delay = retry_state.next_action.sleep if retry_state.next_action else 0
        log.warning("cluster %s: cannot build its client: %s; retrying in %.1fs", self.name, error, delay)
        reason = f"cannot connect: {type(error).__name__}: {error}"
        try:
            Cluster.objects.filter(pk=self.cluster_id).update(
                state=SyncState.ERROR, last_error=reason[:2000], state_detail=f"retrying in {delay:.0f}s",
                updated_at=timezone.now(),
            )
        except DatabaseError:
            _drop_broken_connection()
        finally:
            close_old_connections()

    def _discover_and_apply(self) -> None:
        """Start, stop or switch reflectors so they match what the cluster serves now.

        Every wanted kind is recorded as pending before any reflector starts, so the cluster
        only reads "connected" once all of them have listed.
        """
        assert self.transport is not None
        wanted = {resource.kind: resource for resource in CORE_RESOURCES}
        try:
            discovery = discover_smi(self.transport)
        except KubeApiError as error:
            Cluster.objects.filter(pk=self.cluster_id).update(last_error=f"discovery failed: {error}"[:2000])
            discovery = None  # unreachable: keep what runs; the core reflectors report staleness
        finally:
            close_old_connections()
        if discovery is not None:
            for kind, served in discovery.served.items():
                wanted[kind] = smi_resource(served.info, served.preferred)
            outdated = [k for k, (reflector, _) in self._reflectors.items() if wanted.get(k) != reflector.resource]
            for kind in outdated:
                self._stop_reflector(kind)
                if kind not in wanted:
                    KindStatus.objects.filter(cluster_id=self.cluster_id, kind=kind).delete()
            Cluster.objects.filter(pk=self.cluster_id).update(
                served_kinds=discovery.describe(), server_version=discovery.server_version,
                discovered_at=timezone.now()
            )
            self.discovery = discovery
        starting = [resource for kind, resource in wanted.items() if kind not in self._reflectors]
        if discovery is None:
            starting = [resource for resource in starting if resource in CORE_RESOURCES]
        for resource in starting:
            record_kind_state(self.cluster_id, resource, SyncState.PENDING)
        for resource in starting:
            self._start_reflector(resource)
        close_old_connections()

    def _start_reflector(self, resource: Resource) -> None:
        assert self.transport is not None
        handler = InventoryHandler(self.cluster_id, on_not_found=lambda _resource: self.rediscover_now.set())
        reflector = Reflector(self.transport, resource, handler, settings=self.watch_settings)
        thread = threading.Thread(target=_run_reflector, args=(reflector,), name=f"watch-{self.name}-{resource.plural}",
                                  daemon=True)
        self._reflectors[resource.kind] = (reflector, thread)
        thread.start()

    def _stop_reflector(self, kind: str) -> None:
        reflector, thread = self._reflectors.pop(kind)
        reflector.halt()
        thread.join(timeout=5)


class _SyncStopped(Exception):
    """Raised to leave the client-building retries when the sync is asked to stop."""


def record_stopped(cluster_id: int, state: str) -> None:
    """A deliberate stop: the cluster reads disabled, or pending until a sync process takes it again."""
    detail = "sync is switched off" if state == SyncState.DISABLED else "sync stopped; waiting for a sync process"
    try:
        with transaction.atomic():
            KindStatus.objects.filter(cluster_id=cluster_id).update(state=state, last_error="", stale_since=None)
            Cluster.objects.filter(pk=cluster_id).update(state=state, state_detail=detail, last_error="",
                                                         stale_since=None, updated_at=timezone.now())
    except DatabaseError as error:
        log.warning("cluster %s: recording the stop failed: %s", cluster_id, error)
        _drop_broken_connection()
    finally:
        close_old_connections()


def _run_reflector(reflector: Reflector) -> None:
    try:
        reflector.run()
    finally:
        connection.close()


class SyncWorker:
    """One sync process: takes leases on enabled clusters and syncs the ones it holds."""

    def __init__(self, *, holder: str | None = None, lease_seconds: float | None = None,
                 watch_settings: WatchSettings | None = None, rediscover_seconds: float | None = None):
        self.holder = holder or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.lease_seconds = lease_seconds or getattr(settings, "SYNC_LEASE_SECONDS", 15)
        self.watch_settings = watch_settings
        self.rediscover_seconds = rediscover_seconds
        self.syncs: dict[int, ClusterSync] = {}
        self.stop_event = threading.Event()

    def run(self) -> None:
        try:
            while not self.stop_event.is_set():
                try:
                    self.tick()
                except DatabaseError as error:  # leases cannot be renewed now; holders expire safely
                    log.warning("sync worker %s: database unavailable: %s", self.holder, error)
                    _drop_broken_connection()
                self.stop_event.wait(self.lease_seconds / 3)
        finally:
            self.shutdown()

    def tick(self) -> None:
        """Renew or take leases, start syncs we now hold, stop syncs we lost."""
        try:
            clusters = list(Cluster.objects.filter(enabled=True))
            ttl = timedelta(seconds=self.lease_seconds)
            for cluster in clusters:
                held = leases.acquire_or_renew(cluster.pk, self.holder, ttl)
                running = self.syncs.get(cluster.pk)
                if held and running is None:
                    log.info("%s: took the lease on cluster %s", self.holder, cluster.name)
                    sync = ClusterSync(cluster, watch_settings=self.watch_settings,
                                       rediscover_seconds=self.rediscover_seconds,
                                       user_agent=f"smi-ui-sync/{self.holder}")
                    self.syncs[cluster.pk] = sync
                    sync.start()
                elif not held and running is not None:
                    log.warning("%s: lost the lease on cluster %s, stopping", self.holder, cluster.name)
                    self.syncs.pop(cluster.pk).stop()
            for cluster_id in set(self.syncs) - {c.pk for c in clusters}:  # disabled or removed
                self.syncs.pop(cluster_id).stop(final_state=SyncState.DISABLED)
                leases.release(cluster_id, self.holder)
            Cluster.objects.filter(enabled=False).exclude(state=SyncState.DISABLED).update(
                state=SyncState.DISABLED, state_detail="sync is switched off", last_error="", stale_since=None)
        finally:
            close_old_connections()

    def shutdown(self) -> None:
        for cluster_id, sync in list(self.syncs.items()):
            sync.stop(final_state=SyncState.PENDING)
            leases.release(cluster_id, self.holder)
        self.syncs.clear()
        close_old_connections()

    def stop(self) -> None:
        self.stop_event.set()


def _lag_ms(obj: dict[str, Any], now: Any) -> int | None:
    """Milliseconds from the change's managedFields time to now (second resolution at best)."""
    times = [entry.get("time") for entry in (obj.get("metadata") or {}).get("managedFields") or [] if entry.get("time")]
    if not times:
        return None
    from django.utils.dateparse import parse_datetime

    changed = parse_datetime(max(times))
    if changed is None:
        return None
    return max(0, int((now - changed).total_seconds() * 1000))



