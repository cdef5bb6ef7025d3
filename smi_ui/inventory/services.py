"""Writing what sync observes: upserts of current objects and their revision history.

Every entry point goes through `apply_events`, which applies a batch of observed changes
in one transaction with a handful of statements (one locking read, bulk writes), so a
burst of watch events costs a few statements per batch rather than several per event.
It is idempotent: a watch replay, a re-list, or the watch echo of a write we already
stored changes nothing and records nothing twice. A write's own response, stored after
its echo, enriches the revision the echo recorded with who made it (never a second row).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from smi_ui.core.jsonsafe import holds_nul, scrub

from .bulk import insert_new, update_rows
from .models import ChangeSource, ChangeType, KubeObject, Revision
from .normalize import normalize

Key = tuple[str, str, str]  # (kind, namespace, name)
FieldPath = tuple[str, ...]

#: Metadata the server maintains on every write; a change there is nobody's edit.
_SERVER_FIELDS = {"resourceVersion", "managedFields", "generation", "creationTimestamp", "uid", "selfLink"}


@dataclass(frozen=True)
class StoredChange:
    """What changed in the inventory; published to live subscribers by the caller."""

    cluster_id: int
    kind: str
    namespace: str
    name: str
    resource_version: str
    change: str


def storable(obj: dict[str, Any]) -> dict[str, Any]:
    """`obj` as the database can hold it: PostgreSQL's jsonb refuses NUL characters, which a cluster allows
    in any string (an annotation, say); one such object must not stop its whole kind from syncing."""
    return scrub(obj) if holds_nul(obj) else obj


@dataclass(frozen=True)
class Observed:
    """One change to store: a watch event, a listed object, or the answer to our own write."""

    type: str  # ADDED, MODIFIED or DELETED
    obj: dict[str, Any]
    source: str = ChangeSource.SYNC
    actor: str = ""
    catch_up: bool = False  # applied only to a stored object that is behind it (same uid, older version)

    def __post_init__(self) -> None:
        object.__setattr__(self, "obj", storable(self.obj))


def last_field_manager(obj: dict[str, Any]) -> str:
    """The manager whose managedFields entry is newest (second resolution: ties are common)."""
    entries = (obj.get("metadata") or {}).get("managedFields") or []
    newest = max(entries, key=lambda entry: entry.get("time") or "", default=None)
    return (newest or {}).get("manager", "")


def author_of(before: dict[str, Any] | None, after: dict[str, Any]) -> str:
    """The field manager that made the change from `before` to `after`.

    managedFields times have one-second resolution, so the newest entry is often someone
    else's write in the same second. The author is the entry that owns the fields that
    changed; among equals, the entry this write touched (its operation, time or field set
    differ from the previous revision's), then the newest.
    """
    entries = [entry for entry in (after.get("metadata") or {}).get("managedFields") or [] if isinstance(entry, dict)]
    if not entries:
        return ""
    if before is None:
        return last_field_manager(after)
    changed = _changed_paths(_without_server_fields(before), _without_server_fields(after), ())
    previous = {_entry_key(entry): entry for entry in (before.get("metadata") or {}).get("managedFields") or []
                if isinstance(entry, dict)}

    def score(entry: dict[str, Any]) -> tuple[int, bool, str]:
        owned = _owned_paths(entry.get("fieldsV1") or {})
        matched = sum(1 for path in changed if _owns(owned, path))
        touched = previous.get(_entry_key(entry)) != entry
        return matched, touched, entry.get("time") or ""

    return max(entries, key=score).get("manager", "")


def _entry_key(entry: dict[str, Any]) -> tuple[str, str, str]:
    return entry.get("manager", ""), entry.get("operation", ""), entry.get("subresource", "")


def _without_server_fields(obj: dict[str, Any]) -> dict[str, Any]:
    metadata = {k: v for k, v in (obj.get("metadata") or {}).items() if k not in _SERVER_FIELDS}
    return {**obj, "metadata": metadata}


def _changed_paths(before: Any, after: Any, path: FieldPath) -> list[FieldPath]:
    """Paths (maps descended, lists whole) whose value is new or different in `after`; removals own nothing."""
    if isinstance(after, dict):
        old = before if isinstance(before, dict) else {}
        found: list[FieldPath] = []
        for key, value in after.items():
            if key not in old or old[key] != value:
                found.extend(_changed_paths(old.get(key), value, (*path, str(key))))
        return found
    return [path] if before != after and path else []


def _owned_paths(fields: dict[str, Any], path: FieldPath = ()) -> dict[FieldPath, bool]:
    """FieldsV1 as {path: is_leaf}; list elements (k:, v:, i:) count as owning their list."""
    owned: dict[FieldPath, bool] = {}
    for key, child in fields.items():
        if not key.startswith("f:"):
            continue
        sub = (*path, key[2:])
        nested = _owned_paths(child, sub) if isinstance(child, dict) else {}
        owned[sub] = not nested
        owned.update(nested)
    return owned


def _owns(owned: dict[FieldPath, bool], path: FieldPath) -> bool:
    if path in owned:
        return True
    return any(owned.get(path[:length]) for length in range(1, len(path)))


def upsert_object(
    cluster_id: int,
    obj: dict[str, Any],
    *,
    source: str = ChangeSource.SYNC,
    actor: str = "",
    observed_at: datetime | None = None,
) -> StoredChange | None:
    """Store the object as current and record a revision; None when nothing changed."""
    changes = apply_events(cluster_id, [Observed("MODIFIED", obj, source, actor)], observed_at=observed_at)
    return changes[-1] if changes else None


def delete_object(
    cluster_id: int, obj: dict[str, Any], *, source: str = ChangeSource.SYNC, actor: str = ""
) -> StoredChange | None:
    """Remove the current object (if it is the same one) and record its deletion."""
    changes = apply_events(cluster_id, [Observed("DELETED", obj, source, actor)])
    return changes[-1] if changes else None


def store_write(cluster_id: int, written: dict[str, Any], *, base: dict[str, Any] | None, deleted: bool = False,
                source: str, actor: str) -> list[StoredChange]:
    """Store the answer to our own write at once, named after its author, whatever sync has stored.

    `base` (the object as read from the cluster for the write) goes first, as sync would
    observe it: when the watch lags behind, the change made before ours keeps its own
    revision and ours is compared with what it was based on; otherwise it is a no-op.
    """
    events = [Observed("MODIFIED", base, catch_up=True)] if base is not None else []
    events.append(Observed("DELETED" if deleted else "MODIFIED", written, source, actor))
    return apply_events(cluster_id, events)


def apply_events(cluster_id: int, events: Sequence[Observed], *,
                 observed_at: datetime | None = None) -> list[StoredChange]:
    """Apply changes in order (per object, as observed) in one transaction; what changed, in order.

    A concurrent first insert of the same object (the web storing its write while sync
    stores the echo) fails the transaction on the unique key; it is then simply re-run
    against the row the other side stored.
    """
    if not events:
        return []
    for attempt in range(3):
        try:
            with transaction.atomic():
                return _Batch(cluster_id, events, observed_at or timezone.now()).run()
        except IntegrityError:
            if attempt == 2:
                raise
    return []  # unreachable


def _key(obj: dict[str, Any]) -> Key:
    metadata = obj.get("metadata") or {}
    return obj.get("kind", ""), metadata.get("namespace", ""), metadata.get("name", "")


class _Batch:
    """The in-memory state of the rows a batch touches, written back with bulk statements."""

    def __init__(self, cluster_id: int, events: Sequence[Observed], now: datetime):
        self.cluster_id = cluster_id
        self.events = events
        self.now = now
        self.rows: dict[Key, KubeObject | None] = {}
        self.existing: dict[Key, KubeObject] = {}
        self.dirty: set[Key] = set()
        self.revisions: list[Revision] = []
        self.enrich: list[tuple[str, str, bool, str, str]] = []  # uid, rv, deletion, source, actor
        self.changes: list[StoredChange] = []

    def run(self) -> list[StoredChange]:
        self._lock_rows()
        for event in self.events:
            if event.type == "DELETED":
                self._delete(event)
            else:
                self._upsert(event)
        self._write()
        return self.changes

    def _lock_rows(self) -> None:
        keys = {_key(event.obj) for event in self.events}
        kinds = {kind for kind, _, _ in keys}
        names = sorted({name for _, _, name in keys})
        for start in range(0, len(names), 500):  # bounded IN lists; rows of other namespaces are skipped
            query = KubeObject.objects.select_for_update().filter(
                cluster_id=self.cluster_id, kind__in=kinds, name__in=names[start:start + 500]
            ).defer("labels", "normalized", "problems")  # derived again from the new raw object
            for row in query:
                key = (row.kind, row.namespace, row.name)
                if key in keys:
                    self.existing[key] = row
        self.rows = {key: self.existing.get(key) for key in keys}

    def _upsert(self, event: Observed) -> None:
        obj = event.obj
        metadata = obj.get("metadata") or {}
        key = _key(obj)
        uid = metadata.get("uid", "")
        resource_version = metadata.get("resourceVersion", "")
        current = self.rows[key]
        if event.catch_up and not (current is not None and current.uid == uid
                                   and _older(current.resource_version, resource_version)):
            return  # sync has got this far already (or the object is gone): nothing to catch up
        if current is not None and current.uid == uid and (
            current.resource_version == resource_version or _older(resource_version, current.resource_version)
        ):
            if event.actor:  # our write's answer after its echo: say who made it
                self.enrich.append((uid, resource_version, False, event.source, event.actor))
            if current.resource_version == resource_version and current.api_version != obj.get("apiVersion", ""):
                self._set(key, current, obj)  # the same object served in another version: no new revision
                self._changed(key, resource_version, ChangeType.MODIFIED)
            return  # already stored (our own write, a replay, or an out-of-order echo)
        before = None
        change = ChangeType.CREATED
        if current is not None and current.uid == uid:
            before = current.raw
            change = ChangeType.MODIFIED
        elif current is not None:  # same name, new uid: the old object was deleted meanwhile
            self._revision(current.raw, ChangeType.DELETED, before=current.raw, after=None)
        if current is None:
            current = KubeObject(cluster_id=self.cluster_id, kind=key[0], namespace=key[1], name=key[2])
        self._set(key, current, obj)
        self._revision(obj, change, before=before, after=obj, source=event.source, actor=event.actor)
        self._changed(key, resource_version, change)

    def _delete(self, event: Observed) -> None:
        metadata = event.obj.get("metadata") or {}
        key = _key(event.obj)
        current = self.rows[key]
        if current is None or (metadata.get("uid") and current.uid != metadata.get("uid")):
            if event.actor and metadata.get("uid"):
                self.enrich.append((metadata["uid"], "", True, event.source, event.actor))
            return
        self.rows[key] = None
        self.dirty.add(key)
        final = event.obj if metadata.get("resourceVersion") else current.raw
        self._revision(final, ChangeType.DELETED, before=current.raw, after=None, source=event.source,
                       actor=event.actor)
        self._changed(key, (final.get("metadata") or {}).get("resourceVersion", ""), ChangeType.DELETED)

    def _set(self, key: Key, row: KubeObject, obj: dict[str, Any]) -> None:
        metadata = obj.get("metadata") or {}
        fields = normalize(obj)
        row.api_version = obj.get("apiVersion", "")
        row.uid = metadata.get("uid", "")
        row.resource_version = metadata.get("resourceVersion", "")
        row.labels = metadata.get("labels") or {}
        row.raw = obj
        row.normalized = fields.normalized
        row.problems = fields.problems
        row.observed_at = self.now
        self.rows[key] = row
        self.dirty.add(key)

    def _changed(self, key: Key, resource_version: str, change: str) -> None:
        self.changes.append(StoredChange(self.cluster_id, *key, resource_version, change))

    def _revision(self, obj: dict[str, Any], change: str, *, before: Any, after: Any,
                  source: str = ChangeSource.SYNC, actor: str = "") -> None:
        metadata = obj.get("metadata") or {}
        self.revisions.append(Revision(
            cluster_id=self.cluster_id, api_version=obj.get("apiVersion", ""), kind=obj.get("kind", ""),
            namespace=metadata.get("namespace", ""), name=metadata.get("name", ""), uid=metadata.get("uid", ""),
            resource_version=metadata.get("resourceVersion", ""), change=change, before=before, after=after,
            field_manager=author_of(before, obj) if change != ChangeType.DELETED else "",
            source=source, actor=actor, observed_at=self.now,
        ))

    def _write(self) -> None:
        """Deletions, updates and inserts of rows, then revisions: a few statements for the whole batch."""
        gone = [self.existing[key].pk for key in self.dirty if key in self.existing and self.rows[key] is None]
        kept = [row for key in self.dirty if key in self.existing and (row := self.rows[key]) is not None]
        added = [row for key in self.dirty if key not in self.existing and (row := self.rows[key]) is not None]
        if gone:
            KubeObject.objects.filter(pk__in=gone).delete()
        for row in kept:
            if row.pk is None:  # deleted and re-created within the batch: it keeps the old row
                row.pk = self.existing[(row.kind, row.namespace, row.name)].pk
        update_rows(KubeObject, kept, ["api_version", "uid", "resource_version", "labels", "raw", "normalized",
                                       "problems", "observed_at"])
        if added:
            KubeObject.objects.bulk_create(added)  # a conflict (a concurrent first store) re-runs the batch
        self._enrich_pending()
        insert_new(Revision, self.revisions)  # one revision per (uid, resourceVersion, change): replays add none
        for uid, resource_version, deletion, source, actor in self.enrich:
            stored = Revision.objects.filter(cluster_id=self.cluster_id, uid=uid, actor="")
            if deletion:
                stored = stored.filter(change=ChangeType.DELETED)
            else:
                stored = stored.filter(resource_version=resource_version).exclude(change=ChangeType.DELETED)
            stored.update(source=source, actor=actor)

    def _enrich_pending(self) -> None:
        """Enrichments of revisions recorded in this very batch are made before they are inserted."""
        remaining = []
        for item in self.enrich:
            uid, resource_version, deletion, source, actor = item
            match = [r for r in self.revisions if r.uid == uid and not r.actor and (
                r.change == ChangeType.DELETED if deletion else
                r.resource_version == resource_version and r.change != ChangeType.DELETED)]
            for revision in match:
                revision.source, revision.actor = source, actor
            if not match:
                remaining.append(item)
        self.enrich = remaining


class ListingReconciler:
    """Makes the current view of one kind equal a complete listing, page by page.

    Pages can be stored while the next one is being fetched. New objects (a whole cluster
    on a first sync) are inserted in bulk; objects changed while we were not watching are
    applied as one batch per page; `finish` deletes what the listing no longer holds.
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
        changed: list[Observed] = []
        for item in items:
            metadata = item.get("metadata") or {}
            key = (metadata.get("namespace", ""), metadata.get("name", ""))
            self.seen.add(key)
            current = (metadata.get("uid", ""), metadata.get("resourceVersion", ""), item.get("apiVersion", ""))
            if key not in self.known:
                fresh.append(item)
            elif self.known[key] != current:
                changed.append(Observed("MODIFIED", item))
        self.changes.extend(apply_events(self.cluster_id, changed))
        self.changes.extend(_insert_new(self.cluster_id, fresh))

    def finish(self) -> list[StoredChange]:
        missing = set(self.known) - self.seen
        gone = [Observed("DELETED", {"kind": self.kind, "metadata": {"namespace": namespace, "name": name}})
                for namespace, name in sorted(missing)]
        for start in range(0, len(gone), 500):
            self.changes.extend(apply_events(self.cluster_id, gone[start:start + 500]))
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
        for listed in items[start:start + batch_size]:
            obj = storable(listed)
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
