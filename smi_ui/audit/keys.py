"""The keys that seal the audit chain: HMAC-SHA256, from settings, rotatable.

`AUDIT_HMAC_KEYS` holds one or more secrets, newest first: new entries are sealed with
the first, and every listed key still verifies the entries it sealed, so rotating is
"prepend a key, keep the old ones while their entries matter". Without the setting a key
is derived from SECRET_KEY (as the credentials key is), so a local install is keyed too.
Each entry stores the id of its key: a fingerprint that names the key without revealing it.
Entries written before the chain was keyed carry LEGACY_KEY_ID and an unkeyed sha256.
"""

from __future__ import annotations

import hashlib

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
