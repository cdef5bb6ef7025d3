"""The keys that seal the audit chain: HMAC-SHA256, from settings, rotatable.

`AUDIT_HMAC_KEYS` holds one or more secrets, newest first: new entries are sealed with
the first, and every listed key still verifies the entries it sealed, so rotating is
"prepend a key, keep the old ones while their entries matter". Without the setting a key
is derived from SECRET_KEY (as the credentials key is), so a local install is keyed too.
Each entry stores the id of its key: a fingerprint that names the key without revealing it.
Entries written before the chain was keyed carry LEGACY_KEY_ID and an unkeyed sha256; how
many there are is sealed once, when keying begins (`seal_legacy_entries`, run by a migration).
"""

from __future__ import annotations

import hashlib
import hmac

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

#: The key id of entries hashed before the chain was keyed (plain sha256, accepted only before any keyed entry).
LEGACY_KEY_ID = "legacy"
MIN_KEY_LENGTH = 32


def _derived_key(secret: str) -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"smi-ui-audit-chain", info=b"hmac-sha256")
    return hkdf.derive(secret.encode())


def key_id_of(key: bytes) -> str:
    """A short public name for a key (a fingerprint: it does not help anyone guess the key)."""
    return "k" + hashlib.sha256(b"smi-ui audit key id\x00" + key).hexdigest()[:12]


def signing_keys() -> list[tuple[str, bytes]]:
    """(key id, key) pairs, newest first; the first seals new entries."""
    configured = list(getattr(settings, "AUDIT_HMAC_KEYS", []) or [])
    for position, key in enumerate(configured, start=1):
        if len(key) < MIN_KEY_LENGTH:
            raise ImproperlyConfigured(f"AUDIT_HMAC_KEYS: key {position} has {len(key)} characters; "
                                       f"at least {MIN_KEY_LENGTH} are needed")
    keys = [key.encode() for key in configured] or [_derived_key(settings.SECRET_KEY)]
    return [(key_id_of(key), key) for key in keys]


def current_key() -> tuple[str, bytes]:
    return signing_keys()[0]


def keys_by_id() -> dict[str, bytes]:
    return dict(signing_keys())


def legacy_seal(count: int, last_hash: str, key: bytes) -> str:
    """The MAC that fixes the legacy prefix: `count` unkeyed entries ending with the one hashed `last_hash`."""
    return hmac.new(key, f"smi-ui audit legacy entries\x00{count}\x00{last_hash}".encode(), hashlib.sha256).hexdigest()


def head_seal(sequence: int, last_hash: str, key_id: str, key: bytes) -> str:
    """`key_id:MAC` over the chain's tip, so the newest entries cannot be cut off (and the head reset) unseen."""
    mac = hmac.new(key, f"smi-ui audit head\x00{sequence}\x00{last_hash}".encode(), hashlib.sha256).hexdigest()
    return f"{key_id}:{mac}"


def head_seal_holds(seal: str, sequence: int, last_hash: str, known: dict[str, bytes]) -> bool:
    key_id, _, _ = seal.partition(":")
    return key_id in known and hmac.compare_digest(seal, head_seal(sequence, last_hash, key_id, known[key_id]))


def seal_legacy_entries(entry_model: type, head_model: type) -> None:
    """Record and seal how many unkeyed entries exist (run once, when the chain becomes keyed).

    Takes the models as arguments so the migration can pass its historical ones.
    """
    legacy = entry_model.objects.filter(key_id=LEGACY_KEY_ID).order_by("-sequence").values_list("sequence", "hash")
    last = legacy.first()
    count, last_hash = (last[0], last[1]) if last else (0, "0" * 64)
    head = head_model.objects.filter(pk=1).first()
    if head is None:
        newest = entry_model.objects.order_by("-sequence").values_list("sequence", "hash").first()
        head = head_model(pk=1, last_sequence=newest[0] if newest else 0, last_hash=newest[1] if newest else "0" * 64)
    key_id, key = current_key()
    head.legacy_entries, head.legacy_seal, head.legacy_seal_key_id = count, legacy_seal(count, last_hash, key), key_id
    head.save()
