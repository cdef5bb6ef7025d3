"""Appending to and verifying the hash chain of audit entries.

Each entry's hash is an HMAC-SHA256 (keyed from settings, see keys.py) over a canonical
JSON of its recorded fields, its key id and the previous entry's hash, so editing,
deleting or reordering any stored entry breaks every link after it, and someone who can
write to the database but does not hold the key cannot recompute the hashes. Entries
written before the chain was keyed keep their plain sha256 and verify as they are; the
migration that keyed the chain counted them and sealed that count and the last one's hash
with the key, so no unkeyed entry can be added or rewritten afterwards.
Appends take the row lock of the chain head (and, on SQLite, the
database's write lock: transactions there begin IMMEDIATE), so concurrent writers queue
instead of forking the chain; the unique sequence and hash columns are the backstop.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.core.cache import cache
from django.db import IntegrityError, OperationalError, transaction
from django.utils import timezone

from smi_ui.core.jsonsafe import scrub

from . import keys
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


def entry_hash(fields: dict[str, Any], key: bytes | None = None) -> str:
    """HMAC-SHA256 with `key` of the canonical JSON of the hashed fields and the key id (prev_hash included);
    without a key, the plain sha256 of the hashed fields that entries written before keying carry."""
    document = {name: canonical_value(name, fields.get(name)) for name in HASHED_FIELDS}
    if key is not None:
        document["key_id"] = fields.get("key_id")
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    if key is None:
        return hashlib.sha256(text.encode("utf-8")).hexdigest()
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest()


def append(values: dict[str, Any]) -> AuditEntry:
    """Store one entry at the end of the chain; retried when concurrent appends collide."""
    values = {name: scrub(value) for name, value in values.items()}
    key_id, key = keys.current_key()
    last_error: Exception | None = None
    for attempt in range(APPEND_ATTEMPTS):
        try:
            return _append_once(values, key_id, key)
        except (IntegrityError, OperationalError) as error:  # a racing first append, or a busy database
            last_error = error
            time.sleep(min(0.01 * (attempt + 1), 0.2))
    raise AuditChainError(f"could not append to the audit chain: {last_error}")


def _append_once(values: dict[str, Any], key_id: str, key: bytes) -> AuditEntry:
    with transaction.atomic():
        head = AuditChainHead.objects.select_for_update().filter(pk=1).first()
        if head is None:
            head = AuditChainHead.objects.create(pk=1)
        entry = AuditEntry(**values)
        entry.sequence = head.last_sequence + 1
        entry.prev_hash = head.last_hash
        entry.created_at = timezone.now()  # microseconds, as both databases store them
        entry.key_id = key_id
        entry.hash = entry_hash({name: getattr(entry, name) for name in (*HASHED_FIELDS, "key_id")}, key)
        entry.save(force_insert=True)
        head.last_sequence = entry.sequence
        head.last_hash = entry.hash
        head.head_seal = keys.head_seal(entry.sequence, entry.hash, key_id, key)
        head.save(update_fields=["last_sequence", "last_hash", "head_seal"])
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
    """What a verification found; `last_*` and `keyed_seen` let a later check continue from here."""

    checked: int
    broken: BrokenLink | None
    keys_used: dict[str, int] = field(default_factory=dict)  # key id -> entries it sealed
    last_sequence: int = 0
    last_hash: str = GENESIS_HASH
    keyed_seen: bool = False

    @property
    def ok(self) -> bool:
        return self.broken is None

    def describe_keys(self) -> str:
        """Which keys the verified entries were sealed with ("key k1a2…: 10 entries, legacy unkeyed: 3")."""
        current = keys.current_key()[0]
        parts = []
        for key_id, count in self.keys_used.items():
            label = "legacy unkeyed sha256" if key_id == keys.LEGACY_KEY_ID else (
                f"key {key_id}" + (" (current)" if key_id == current else ""))
            parts.append(f"{label}: {count} entr{'y' if count == 1 else 'ies'}")
        return ", ".join(parts) or "no entries"


def verify(since: ChainReport | None = None) -> ChainReport:
    """Recompute every link in order; the report names the first entry that does not hold.

    With `since` (an intact earlier report), only the entries appended after it are checked,
    after making sure the last entry it checked is still the one it saw.
    """
    known = keys.keys_by_id()
    state = since if since is not None and since.ok else ChainReport(0, None)
    used = dict(state.keys_used)
    previous_hash, expected_sequence, checked, keyed_seen = (state.last_hash, state.last_sequence + 1,
                                                             state.checked, state.keyed_seen)

    def report(broken: BrokenLink | None) -> ChainReport:
        return ChainReport(checked, broken, used, expected_sequence - 1, previous_hash, keyed_seen)

    sealed = AuditChainHead.objects.filter(pk=1).values("legacy_entries", "legacy_seal", "legacy_seal_key_id").first()
    legacy_limit = sealed["legacy_entries"] if sealed and sealed["legacy_seal"] else 0
    rows = AuditEntry.objects.order_by("sequence").values("id", "hash", "key_id", *HASHED_FIELDS)
    if state.last_sequence:
        if not AuditEntry.objects.filter(sequence=state.last_sequence, hash=state.last_hash).exists():
            return verify()  # the entry the earlier check ended on changed: check everything again
        rows = rows.filter(sequence__gt=state.last_sequence)
    for row in rows.iterator(chunk_size=500):
        sequence, key_id = row["sequence"], row["key_id"]
        if sequence != expected_sequence:
            return report(BrokenLink(expected_sequence, None, f"missing: the next stored entry is #{sequence}"))
        if row["prev_hash"] != previous_hash:
            return report(BrokenLink(sequence, row["id"],
                                     "its prev_hash does not match the hash of the entry before it"))
        if key_id == keys.LEGACY_KEY_ID:
            if keyed_seen or sequence > legacy_limit:
                where = "after keyed ones" if keyed_seen else f"beyond the {legacy_limit} sealed when keying began"
                return report(BrokenLink(sequence, row["id"], f"an unkeyed (legacy) entry {where} "
                                                              "(rewritten without the key)"))
            if sequence == legacy_limit and not _seal_holds(sealed, row["hash"], known):
                return report(BrokenLink(sequence, row["id"], "the entries from before keying do not match their "
                                                              "seal (rewritten, or sealed with a key no longer held)"))
            key = None
        elif key_id in known:
            key = known[key_id]
        else:
            return report(BrokenLink(sequence, row["id"], f"sealed with key {key_id}, which AUDIT_HMAC_KEYS "
                                                          "does not hold (keep old keys after rotating)"))
        if not hmac.compare_digest(entry_hash(row, key), row["hash"]):
            return report(BrokenLink(sequence, row["id"], "its stored contents do not match its hash (altered)"))
        keyed_seen = keyed_seen or key is not None
        used[key_id] = used.get(key_id, 0) + 1
        previous_hash = row["hash"]
        expected_sequence += 1
        checked += 1
    if legacy_limit and expected_sequence - 1 < legacy_limit:
        return report(BrokenLink(expected_sequence, None, f"missing: {legacy_limit} entries were sealed when keying "
                                                          "began"))
    head = AuditChainHead.objects.filter(pk=1).first()
    if head is None and checked:
        return report(BrokenLink(checked, None, "the chain head is missing (entries after it may have been removed)"))
    if head is not None and head.last_sequence > checked:
        return report(BrokenLink(checked + 1, None, f"missing: the chain head records #{head.last_sequence} entries"))
    if head is not None and checked and head.last_hash != previous_hash:
        return report(BrokenLink(checked, None, "the chain head's hash does not match the last entry"))
    if head is not None and keyed_seen and not keys.head_seal_holds(head.head_seal, head.last_sequence,
                                                                     head.last_hash, known):
        return report(BrokenLink(checked, None, "the chain head's seal does not hold: the newest entries may have "
                                                "been removed and the head reset"))
    return report(None)


def _seal_holds(sealed: dict[str, Any] | None, last_hash: str, known: dict[str, bytes]) -> bool:
    if not sealed or sealed["legacy_seal_key_id"] not in known:
        return False
    expected = keys.legacy_seal(sealed["legacy_entries"], last_hash, known[sealed["legacy_seal_key_id"]])
    return hmac.compare_digest(expected, sealed["legacy_seal"])


#: How long the audit page may show an earlier full verification (newer entries are checked on each view).
VERIFICATION_MAX_AGE_SECONDS = 60
#: "Verify now" re-reads the whole log at most this often per chain state and per user.
VERIFY_NOW_INTERVAL_SECONDS = 60
_CACHE_KEY = "audit-chain-verification"


@dataclass(frozen=True)
class Verification:
    report: ChainReport
    verified_at: datetime  # when the whole chain was last re-read
    refresh_refused: bool = False  # "verify now" was asked for too soon after the last one


def recent_verification(refresh: bool = False, requester: str = "") -> Verification:
    """The chain's state at most VERIFICATION_MAX_AGE_SECONDS after a full verification.

    Verifying reads and re-hashes every entry, so a page must not do it on every view: within
    the maximum age only entries appended since the last check are verified (one short query
    when there are none), and `refresh` ("verify now") re-reads the whole chain at most once
    per VERIFY_NOW_INTERVAL_SECONDS for the same chain and the same `requester`.
    """
    now = timezone.now()
    key_ids = tuple(key_id for key_id, _ in keys.signing_keys())
    cached = cache.get(_CACHE_KEY)
    if cached is not None and cached[2] != key_ids:
        cached = None  # keys were rotated: what verified before may not now
    refused = False
    if refresh:
        head = AuditChainHead.objects.filter(pk=1).values_list("last_sequence", "last_hash").first()
        state = f"{head[0]}:{head[1]}" if head else "empty"
        allowed = cache.add(f"audit-verify-now:user:{requester}", True, VERIFY_NOW_INTERVAL_SECONDS)
        allowed = allowed and cache.add(f"audit-verify-now:chain:{state}", True, VERIFY_NOW_INTERVAL_SECONDS)
        refused = not allowed
        refresh = allowed
    if cached is None or refresh or (now - cached[1]).total_seconds() > VERIFICATION_MAX_AGE_SECONDS:
        report, verified_at = verify(), now
    else:
        report, verified_at = verify(since=cached[0]) if cached[0].ok else cached[0], cached[1]
        if not cached[0].ok and _head_moved(cached[0]):
            report, verified_at = verify(), now  # a broken chain that grew: check it all again
    cache.set(_CACHE_KEY, (report, verified_at, key_ids), VERIFICATION_MAX_AGE_SECONDS * 2)
    return Verification(report, verified_at, refused)


def _head_moved(report: ChainReport) -> bool:
    head = AuditChainHead.objects.filter(pk=1).values_list("last_sequence", flat=True).first() or 0
    return head != report.last_sequence
