"""The access matrix: sources (rows) × destinations (columns), identities grouped by namespace."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import groupby

from .graph import AccessGraph, AllowedRoute
from .inputs import Identity


@dataclass
class NamespaceGroup:
    namespace: str
    identities: list[Identity]


@dataclass
class MatrixRow:
    source: Identity
    cells: list[list[AllowedRoute]]  # one per destination, in column order


@dataclass
class AccessMatrix:
    column_groups: list[NamespaceGroup]
    destinations: list[Identity]
    row_groups: list[tuple[str, list[MatrixRow]]]

    @property
    def empty(self) -> bool:
        return not self.destinations


def grouped(identities: list[Identity]) -> list[NamespaceGroup]:
    return [NamespaceGroup(namespace, list(members))
            for namespace, members in groupby(sorted(identities), key=lambda identity: identity.namespace)]


def access_matrix(graph: AccessGraph, namespace: str = "") -> AccessMatrix:
    """The matrix, optionally limited to identities where source or destination is in `namespace`."""
    edges = {key: routes for key, routes in graph.edges.items()
             if not namespace or namespace in (key[0].namespace, key[1].namespace)}
    destinations = sorted({destination for _, destination in edges})
    sources = sorted({source for source, _ in edges})
    rows = [MatrixRow(source, [edges.get((source, destination), []) for destination in destinations])
            for source in sources]
    row_groups = [(ns, list(members)) for ns, members in groupby(rows, key=lambda row: row.source.namespace)]
    return AccessMatrix(grouped(destinations), destinations, row_groups)
