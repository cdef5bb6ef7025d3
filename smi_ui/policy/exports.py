"""CSV exports of the access graph and the findings.

Cells a spreadsheet would run as a formula get a leading apostrophe, as in the audit export.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from .findings import Finding
from .graph import AccessGraph

ACCESS_COLUMNS = ("source_namespace", "source", "destination_namespace", "destination", "traffic_target",
                  "rule_kind", "rule_name", "match", "methods", "path", "headers", "ports", "effective")
FINDING_COLUMNS = ("severity", "code", "namespace", "traffic_target", "message", "hint")
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_PREFIXES) else text


def _csv(header: Iterable[str], rows: Iterable[Iterable[object]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return buffer.getvalue()


def access_csv(graph: AccessGraph) -> str:
    """One line per (source, destination, allowed route)."""
    rows = (
        (source.namespace, source.name, destination.namespace, destination.name, route.target, route.rule_kind,
         route.rule_name, route.entry, " ".join(route.methods) or "*", route.path or ".*",
         " ".join(f"{name}={value}" for name, value in route.headers), " ".join(map(str, route.ports)),
         "no (route missing)" if route.missing else "yes")
        for (source, destination), routes in sorted(graph.edges.items()) for route in routes
    )
    return _csv(ACCESS_COLUMNS, rows)


def findings_csv(findings: Iterable[Finding]) -> str:
    rows = ((f.severity.label, f.code, f.namespace, f.target, f.message, f.hint) for f in findings)
    return _csv(FINDING_COLUMNS, rows)
