"""Audit exports as CSV and JSON Lines, streamed so a long history never sits in memory.

Rows carry the hashes and key ids, so an exported log can be re-verified outside the dashboard
(with the keys).
CSV cells that a spreadsheet would run as a formula are quoted with a leading apostrophe.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from typing import Any

from .chain import HASHED_FIELDS, canonical_value
from .models import AuditEntry

EXPORT_FIELDS: tuple[str, ...] = ("id", *HASHED_FIELDS, "key_id", "hash")
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def entry_record(entry: AuditEntry) -> dict[str, Any]:
    return {name: canonical_value(name, getattr(entry, name)) for name in EXPORT_FIELDS}


def jsonl_lines(entries: Iterable[AuditEntry]) -> Iterator[str]:
    for entry in entries:
        yield json.dumps(entry_record(entry), sort_keys=True, ensure_ascii=False) + "\n"


def csv_lines(entries: Iterable[AuditEntry]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate(0)
        return text

    writer.writerow(EXPORT_FIELDS)
    yield flush()
    for entry in entries:
        record = entry_record(entry)
        writer.writerow([_cell(record[name]) for name in EXPORT_FIELDS])
        yield flush()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        value = json.dumps(value, sort_keys=True, ensure_ascii=False)
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_PREFIXES) else text
