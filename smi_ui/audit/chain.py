"""Appending to and verifying the hash chain of audit entries.

Each entry's hash is sha256 over a canonical JSON of its recorded fields plus the
previous entry's hash, so editing, deleting or reordering any stored entry breaks every
link after it. Appends take the row lock of the chain head (and, on SQLite, the
database's write lock: transactions there begin IMMEDIATE), so concurrent writers queue
instead of forking the chain; the unique sequence and hash columns are the backstop.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.core.cache import cache
from django.db import IntegrityError, OperationalError, transaction
from django.utils import timezone

from .models import GENESIS_HASH, AuditChainHead, AuditEntry

#: The fields a hash covers, in the order exports list them.
HASHED_FIELDS: tuple[str, ...] = (
    "sequence", "created_at", "actor", "actor_id", "source", "ip", "user_agent", "request_id", "action",
    "cluster_id", "cluster_name", "api_version", "kind", "namespace", "name", "base_resource_version",
    "resource_version", "dry_run", "forced", "outcome", "summary", "message", "errors", "before", "after",
    "prev_hash",
)  # fmt: skip
APPEND_ATTEMPTS = 20


class AuditChainError(RuntimeError):
    """The entry could not be appended (the database kept refusing the lock)."""


def canonical_value(name: str, value: Any) -> Any:
    if name == "created_at" and isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    return value


def entry_hash(fields: dict[str, Any]) -> str:
    """sha256 of the canonical JSON of the hashed fields (prev_hash included)."""
    document = {name: canonical_value(name, fields.get(name)) for name in HASHED_FIELDS}
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def append(values: dict[str, Any]) -> AuditEntry:
    """Store one entry at the end of the chain; retried when concurrent appends collide."""
    values = {key: scrub(value) for key, value in values.items()}
    last_error: Exception | None = None
    for attempt in range(APPEND_ATTEMPTS):
        try:
            return _append_once(values)
        except (IntegrityError, OperationalError) as error:  # a racing first append, or a busy database
            last_error = error
            time.sleep(min(0.01 * (attempt + 1), 0.2))
    raise AuditChainError(f"could not append to the audit chain: {last_error}")


def _append_once(values: dict[str, Any]) -> AuditEntry:
    with transaction.atomic():
        head = AuditChainHead.objects.select_for_update().filter(pk=1).first()
        if head is None:
            head = AuditChainHead.objects.create(pk=1)
        entry = AuditEntry(**values)
        entry.sequence = head.last_sequence + 1
        entry.prev_hash = head.last_hash
        entry.created_at = timezone.now()  # microseconds, as both databases store them
        entry.hash = entry_hash({name: getattr(entry, name) for name in HASHED_FIELDS})
        entry.save(force_insert=True)
        head.last_sequence = entry.sequence
        head.last_hash = entry.hash
        head.save(update_fields=["last_sequence", "last_hash"])
    return entry


@dataclass(frozen=True)
class BrokenLink:
    sequence: int
    entry_id: int | None
    reason: str

    def __str__(self) -> str:
        where = f"entry #{self.sequence}" + (f" (id {self.entry_id})" if self.entry_id is not None else "")
        return f"{where}: {self.reason}"


@dataclass(frozen=True)
class ChainReport:
    checked: int
    broken: BrokenLink | None

    @property
    def ok(self) -> bool:
        return self.broken is None


def verify() -> ChainReport:
    """Recompute every link in order; the report names the first entry that does not hold."""
    previous_hash = GENESIS_HASH
    expected_sequence = 1
    checked = 0
    rows = AuditEntry.objects.order_by("sequence").values("id", "hash", *HASHED_FIELDS)
    for row in rows.iterator(chunk_size=500):
        sequence = row["sequence"]
        if sequence != expected_sequence:
            return ChainReport(checked, BrokenLink(expected_sequence, None,
                                                   f"missing: the next stored entry is #{sequence}"))
        if row["prev_hash"] != previous_hash:
            return ChainReport(checked, BrokenLink(sequence, row["id"],
                                                   "its prev_hash does not match the hash of the entry before it"))
        if entry_hash(row) != row["hash"]:
            return ChainReport(checked, BrokenLink(sequence, row["id"],
                                                   "its stored contents do not match its hash (altered)"))
        previous_hash = row["hash"]
        expected_sequence += 1
        checked += 1
    head = AuditChainHead.objects.filter(pk=1).first()
    if head is not None and head.last_sequence > checked:
        return ChainReport(checked, BrokenLink(checked + 1, None,
                                               f"missing: the chain head records #{head.last_sequence} entries"))
    if head is not None and checked and head.last_hash != previous_hash:
        return ChainReport(checked, BrokenLink(checked, None, "the chain head's hash does not match the last entry"))
    return ChainReport(checked, None)


#: How long the audit page may show an earlier verification of an unchanged chain.
VERIFICATION_MAX_AGE_SECONDS = 60


def recent_verification(refresh: bool = False) -> tuple[ChainReport, datetime]:
    """A verification at most VERIFICATION_MAX_AGE_SECONDS old, and when it ran.

    Verifying reads and re-hashes every entry; a page that did it on every view would tie a
    database connection to each visit. A new entry makes the earlier result obsolete at once
    (the cache key is the chain head), tampering shows within the maximum age, and `refresh`
    verifies now.
    """
    head = AuditChainHead.objects.filter(pk=1).values_list("last_sequence", "last_hash").first()
    key = "audit-chain-verification:" + (f"{head[0]}:{head[1]}" if head else "empty")
    cached = None if refresh else cache.get(key)
    if cached is None:
        cached = (verify(), timezone.now())
        cache.set(key, cached, VERIFICATION_MAX_AGE_SECONDS)
    return cached


def scrub(value: Any) -> Any:
    """A JSON-safe copy: NUL characters replaced (PostgreSQL text and jsonb cannot store them), keys as
    strings, no NaN; the hash is computed over exactly what the database will give back."""
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd").encode("utf-8", "replace").decode("utf-8")
    if isinstance(value, dict):
        return {scrub(str(key)): scrub(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [scrub(item) for item in value]
    if isinstance(value, float) and not math.isfinite(value):  # NaN and infinities have no JSON spelling
        return None
    return value
