"""JSON the databases can store exactly: PostgreSQL's text and jsonb refuse NUL characters, JSON has no NaN.

Used by the audit log (its hashes cover exactly what the database gives back) and the inventory
(one object with a NUL in an annotation must not stop its kind from syncing).
"""

from __future__ import annotations

import math
from typing import Any


def scrub(value: Any) -> Any:
    """A JSON-safe copy: NUL characters replaced, keys as strings, no NaN or infinities."""
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd").encode("utf-8", "replace").decode("utf-8")
    if isinstance(value, dict):
        return {scrub(str(key)): scrub(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [scrub(item) for item in value]
    if isinstance(value, float) and not math.isfinite(value):  # NaN and infinities have no JSON spelling
        return None
    return value


def holds_nul(value: Any) -> bool:
    """Whether any string (key or value) in `value` holds a NUL character (cheaper than a copy)."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(holds_nul(key) or holds_nul(item) for key, item in value.items())
    if isinstance(value, list | tuple):
        return any(holds_nul(item) for item in value)
    return False
