"""The access matrix: sources (rows) × destinations (columns), identities grouped by namespace.

Bounded whatever the policy: a cell lists at most `CELL_ROUTES` routes and counts the rest
(the page links to the pair's full, paginated list), and the matrix is cut into pages of
`ROWS_PER_PAGE` sources and `COLUMNS_PER_PAGE` destinations. The CSV export has everything.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import groupby

from .graph import AccessGraph, AllowedRoute
from .inputs import Identity

CELL_ROUTES = 4
ROWS_PER_PAGE = 100
COLUMNS_PER_PAGE = 30


@dataclass
class NamespaceGroup:
    namespace: str
    identities: list[Identity]


@dataclass
class Cell:
    """What one (source, destination) pair allows: the first routes, and how many there are."""

    source: Identity
    destination: Identity
    routes: list[AllowedRoute]
    total: int

    @property
    def more(self) -> int:
        return self.total - len(self.routes)


def cell(source: Identity, destination: Identity, routes: list[AllowedRoute], limit: int = CELL_ROUTES) -> Cell:
    return Cell(source, destination, routes[:limit], len(routes))


@dataclass
class MatrixRow:
    source: Identity
    cells: list[Cell]  # one per destination, in column order


@dataclass
class AccessMatrix:
    column_groups: list[NamespaceGroup]
    destinations: list[Identity]
    row_groups: list[tuple[str, list[MatrixRow]]]
    sources_total: int = 0
    destinations_total: int = 0
    row_page: int = 1
    row_pages: int = 1
    column_page: int = 1
    column_pages: int = 1

    @property
    def empty(self) -> bool:
        return not self.destinations

    @property
    def partial(self) -> bool:
        return self.row_pages > 1 or self.column_pages > 1


def grouped(identities: list[Identity]) -> list[NamespaceGroup]:
    return [NamespaceGroup(namespace, list(members))
            for namespace, members in groupby(sorted(identities), key=lambda identity: identity.namespace)]


def _page(items: list[Identity], page: int, size: int) -> tuple[list[Identity], int, int]:
    pages = max(1, -(-len(items) // size))
    page = min(max(1, page), pages)
    return items[(page - 1) * size:page * size], page, pages


def access_matrix(graph: AccessGraph, namespace: str = "", *, row_page: int = 1, column_page: int = 1,
                  rows_per_page: int = ROWS_PER_PAGE, columns_per_page: int = COLUMNS_PER_PAGE,
                  cell_routes: int = CELL_ROUTES) -> AccessMatrix:
    """One page of the matrix, optionally limited to pairs where source or destination is in `namespace`."""
    edges = {key: routes for key, routes in graph.edges.items()
             if not namespace or namespace in (key[0].namespace, key[1].namespace)}
    all_destinations = sorted({destination for _, destination in edges})
    all_sources = sorted({source for source, _ in edges})
    destinations, column_page, column_pages = _page(all_destinations, column_page, columns_per_page)
    sources, row_page, row_pages = _page(all_sources, row_page, rows_per_page)
    rows = [MatrixRow(source, [cell(source, destination, edges.get((source, destination), []), cell_routes)
                               for destination in destinations])
            for source in sources]
    row_groups = [(ns, list(members)) for ns, members in groupby(rows, key=lambda row: row.source.namespace)]
    return AccessMatrix(grouped(destinations), destinations, row_groups, len(all_sources), len(all_destinations),
                        row_page, row_pages, column_page, column_pages)
