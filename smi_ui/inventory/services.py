"""Writing what sync observes: upserts of current objects and their revision history.

Both entry points are idempotent, so a watch replay, a re-list, or the watch echo of a
write we already stored changes nothing and records nothing twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from .bulk import insert_new
from .models import ChangeSource, ChangeType, KubeObject, Revision
from .normalize import normalize


@dataclass(frozen=True)
class StoredChange:
    """What changed in the inventory; published to live subscribers by the caller."""

    cluster_id: int
    kind: str
    namespace: str
    name: str
    resource_version: str
    change: str


def last_field_manager(obj: dict[str, Any]) -> str:
    """The manager whose managedFields entry is newest: who made the latest change."""
    entries = (obj.get("metadata") or {}).get("managedFields") or []
    newest = max(entries, key=lambda entry: entry.get("time") or "", default=None)
    return (newest or {}).get("manager", "")


def upsert_object(
    cluster_id: int,
    obj: dict[str, Any],
    *,
    source: str = ChangeSource.SYNC,
    actor: str = "",
    observed_at: datetime | None = None,
) -> StoredChange | None:
    """Store the object as current and record a revision; None when nothing changed."""
    metadata = obj.get("metadata") or {}
    kind = obj.get("kind", "")
    namespace = metadata.get("namespace", "")
    name = metadata.get("name", "")
    uid = metadata.get("uid", "")
    resource_version = metadata.get("resourceVersion", "")
    now = observed_at or timezone.now()
    with transaction.atomic():
        current = (
            KubeObject.objects.select_for_update()
            .filter(cluster_id=cluster_id, kind=kind, namespace=namespace, name=name)
            .first()
        )
        if current is not None and current.uid == uid and current.resource_version == resource_version:
            if current.api_version == obj.get("apiVersion", ""):
                return None  # already stored (our own write, or a replay)
            return _reserved_in_new_version(current, obj, now)
        if current is not None and current.uid == uid and _older(resource_version, current.resource_version):
            return None  # an out-of-order echo of something we have already moved past
        before = None
        change = ChangeType.CREATED
        if current is not None and current.uid == uid:
            before = current.raw
            change = ChangeType.MODIFIED
        elif current is not None:  # same name, new uid: the old object was deleted meanwhile
            _record(cluster_id, current.raw, ChangeType.DELETED, before=current.raw, after=None, observed_at=now,
                    source=ChangeSource.SYNC, actor="")
        fields = normalize(obj)
        values = {
            "api_version": obj.get("apiVersion", ""),
            "uid": uid,
            "resource_version": resource_version,
            "labels": metadata.get("labels") or {},
            "raw": obj,
            "normalized": fields.normalized,
            "problems": fields.problems,
            "observed_at": now,
        }
        KubeObject.objects.update_or_create(
            cluster_id=cluster_id, kind=kind, namespace=namespace, name=name, defaults=values
        )
        _record(cluster_id, obj, change, before=before, after=obj, observed_at=now, source=source, actor=actor)
    return StoredChange(cluster_id, kind, namespace, name, resource_version, change)


def delete_object(
    cluster_id: int, obj: dict[str, Any], *, source: str = ChangeSource.SYNC, actor: str = ""
) -> StoredChange | None:
    """Remove the current object (if it is the same one) and record its deletion."""
    metadata = obj.get("metadata") or {}
    kind = obj.get("kind", "")
    namespace = metadata.get("namespace", "")
    name = metadata.get("name", "")
    with transaction.atomic():
        current = (
            KubeObject.objects.select_for_update()
            .filter(cluster_id=cluster_id, kind=kind, namespace=namespace, name=name)
            .first()
        )
        if current is None or (metadata.get("uid") and current.uid != metadata.get("uid")):
            return None
        current.delete()
        final = obj if metadata.get("resourceVersion") else current.raw
        _record(cluster_id, final, ChangeType.DELETED, before=current.raw, after=None, observed_at=timezone.now(),
                source=source, actor=actor)
    return StoredChange(cluster_id, kind, namespace, name, (final.get("metadata") or {}).get("resourceVersion", ""),
                        ChangeType.DELETED)


def _reserved_in_new_version(current: KubeObject, obj: dict[str, Any], now: datetime) -> StoredChange:
    """The cluster now serves the same object in another version (a CRD upgrade): no new revision."""
    fields = normalize(obj)
    current.api_version = obj.get("apiVersion", "")
    current.raw = obj
    current.normalized = fields.normalized
    current.problems = fields.problems
    current.observed_at = now
    current.save(update_fields=["api_version", "raw", "normalized", "problems", "observed_at"])
    return StoredChange(current.cluster_id, current.kind, current.namespace, current.name,
                        current.resource_version, ChangeType.MODIFIED)


class ListingReconciler:
    """Makes the current view of one kind equal a complete listing, page by page.

    Pages can be stored while the next one is being fetched. New objects (a whole cluster
    on a first sync) are inserted in bulk; objects changed while we were not watching go
    through `upsert_object`; `finish` deletes what the listing no longer holds.
    """

    def __init__(self, cluster_id: int, kind: str):
        self.cluster_id = cluster_id
        self.kind = kind
        self.changes: list[StoredChange] = []
        self.seen: set[tuple[str, str]] = set()
        self.known = {
            (namespace, name): (uid, resource_version, api_version)
            for namespace, name, uid, resource_version, api_version in KubeObject.objects.filter(
                cluster_id=cluster_id, kind=kind
            ).values_list("namespace", "name", "uid", "resource_version", "api_version")
        }

    def add_page(self, items: list[dict[str, Any]]) -> None:
        fresh: list[dict[str, Any]] = []
        for item in items:
            metadata = item.get("metadata") or {}
            key = (metadata.get("namespace", ""), metadata.get("name", ""))
            self.seen.add(key)
            current = (metadata.get("uid", ""), metadata.get("resourceVersion", ""), item.get("apiVersion", ""))
            if key not in self.known:
                fresh.append(item)
            elif self.known[key] != current:
                stored = upsert_object(self.cluster_id, item)
                if stored:
                    self.changes.append(stored)
        self.changes.extend(_insert_new(self.cluster_id, fresh))

    def finish(self) -> list[StoredChange]:
        for namespace, name in set(self.known) - self.seen:
            current = KubeObject.objects.filter(cluster_id=self.cluster_id, kind=self.kind, namespace=namespace,
                                                name=name).first()
            gone = delete_object(self.cluster_id, current.raw) if current else None
            if gone:
                self.changes.append(gone)
        return self.changes


def reconcile_listing(cluster_id: int, kind: str, items: list[dict[str, Any]]) -> list[StoredChange]:
    """Make the current view of one kind equal a complete listing: upsert all, delete the missing."""
    reconciler = ListingReconciler(cluster_id, kind)
    reconciler.add_page(items)
    return reconciler.finish()


def _insert_new(cluster_id: int, items: list[dict[str, Any]], batch_size: int = 500) -> list[StoredChange]:
    now = timezone.now()
    changes: list[StoredChange] = []
    for start in range(0, len(items), batch_size):
        objects, revisions = [], []
        for obj in items[start:start + batch_size]:
            metadata = obj.get("metadata") or {}
            fields = normalize(obj)
            common = {
                "cluster_id": cluster_id,
                "api_version": obj.get("apiVersion", ""),
                "kind": obj.get("kind", ""),
                "namespace": metadata.get("namespace", ""),
                "name": metadata.get("name", ""),
                "uid": metadata.get("uid", ""),
                "resource_version": metadata.get("resourceVersion", ""),
            }
            objects.append(KubeObject(**common, labels=metadata.get("labels") or {}, raw=obj,
                                      normalized=fields.normalized, problems=fields.problems, observed_at=now))
            revisions.append(Revision(**common, change=ChangeType.CREATED, before=None, after=obj,
                                      field_manager=last_field_manager(obj), source=ChangeSource.SYNC,
                                      observed_at=now))
            changes.append(StoredChange(cluster_id, common["kind"], common["namespace"], common["name"],
                                        common["resource_version"], ChangeType.CREATED))
        with transaction.atomic():  # an object is never stored without its first revision
            insert_new(KubeObject, objects)
            insert_new(Revision, revisions)
    return changes


def _older(candidate: str, stored: str) -> bool:
    """resourceVersions are opaque, but etcd-backed servers use increasing integers."""
    try:
        return int(candidate) < int(stored)
    except ValueError:
        return False


def _record(cluster_id: int, obj: dict[str, Any], change: str, *, before: Any, after: Any, observed_at: datetime,
            source: str, actor: str) -> None:
    metadata = obj.get("metadata") or {}
    try:
        with transaction.atomic():
            Revision.objects.create(
                cluster_id=cluster_id,
                api_version=obj.get("apiVersion", ""),
                kind=obj.get("kind", ""),
                namespace=metadata.get("namespace", ""),
                name=metadata.get("name", ""),
                uid=metadata.get("uid", ""),
                resource_version=metadata.get("resourceVersion", ""),
                change=change,
                before=before,
                after=after,
                field_manager=last_field_manager(obj) if change != ChangeType.DELETED else "",
                source=source,
                actor=actor,
                observed_at=observed_at,
            )
    except IntegrityError:
        pass  # the same (uid, resourceVersion, change) is already recorded
