"""CSV exports of the access graph and the findings, produced line by line so they can be streamed.

The access export has one line per (source, destination, route): quadratic in the worst
case, so it is never held in memory whole. Cells a spreadsheet would run as a formula get
a leading apostrophe, as in the audit export.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator

from .findings import Finding
from .graph import AccessGraph

ACCESS_COLUMNS = ("source_namespace", "source", "destination_namespace", "destination", "traffic_target",
                  "rule_kind", "rule_name", "match", "methods", "path", "headers", "ports", "effective")
FINDING_COLUMNS = ("severity", "code", "namespace", "traffic_target", "concerns", "message", "hint")
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
#: Rows written per chunk of a streamed export: few enough to stay small, enough to keep the overhead low.
CHUNK_ROWS = 500


def safe_cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_PREFIXES) else text


def csv_chunks(header: Iterable[str], rows: Iterable[Iterable[object]], chunk_rows: int = CHUNK_ROWS
               ) -> Iterator[str]:
    """The CSV text in chunks of `chunk_rows` lines (the header first)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    pending = 0
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
        pending += 1
        if pending >= chunk_rows:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate(0)
            pending = 0
    yield buffer.getvalue()


def access_rows(graph: AccessGraph) -> Iterator[tuple[object, ...]]:
    """One row per (source, destination, allowed route), in a stable order."""
    for (source, destination), routes in sorted(graph.edges.items()):
        for route in routes:
            yield (source.namespace, source.name, destination.namespace, destination.name, route.target,
                   route.rule_kind, route.rule_name, route.entry, " ".join(route.methods) or "*", route.path or ".*",
                   " ".join(f"{name}={value}" for name, value in route.headers), " ".join(map(str, route.ports)),
                   "no (route missing)" if route.missing else "yes")


def access_csv_chunks(graph: AccessGraph) -> Iterator[str]:
    return csv_chunks(ACCESS_COLUMNS, access_rows(graph))


def access_csv(graph: AccessGraph) -> str:
    """The whole access export as one string (small graphs and tests)."""
    return "".join(access_csv_chunks(graph))


def findings_csv_chunks(findings: Iterable[Finding]) -> Iterator[str]:
    rows = ((f.severity.label, f.code, f.namespace, f.target,
             " ".join(f"{ref.kind}:{ref.namespace}/{ref.name}" for ref in f.concerns), f.message, f.hint)
            for f in findings)
    return csv_chunks(FINDING_COLUMNS, rows)


def findings_csv(findings: Iterable[Finding]) -> str:
    return "".join(findings_csv_chunks(findings))
