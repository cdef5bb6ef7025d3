"""The access graph: every (source identity, destination identity, route) a TrafficTarget allows.

Rule semantics follow the SMI spec: a rule naming an HTTPRouteGroup without `matches`
allows every entry of the group, with `matches` only the named entries; rules and entries
are OR-ed. A rule whose route object is missing allows nothing, but it is kept (marked
`missing`) so the matrix and the findings can show the intent and the mistake.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from .inputs import ACCESS_RULE_KINDS, ROUTE_KINDS, Identity, PolicyInput, Row

ANY = "*"


@dataclass(frozen=True)
class AllowedRoute:
    """One route a TrafficTarget rule allows (or meant to allow, when `missing`)."""

    target: str  # the TrafficTarget's name (it lives in the destination's namespace)
    rule_kind: str
    rule_name: str
    entry: str = ""  # the HTTPRouteGroup match entry, "" for TCP/UDP or a missing group
    methods: tuple[str, ...] = ()  # () = any method
    path: str = ""  # "" = any path
    headers: tuple[tuple[str, str], ...] = ()
    ports: tuple[int, ...] = ()  # () = every port (TCP/UDP)
    missing: bool = False

    @property
    def effective(self) -> bool:
        return not self.missing

    def describe(self) -> str:
        """One line a reader understands: `GET,HEAD /products(/.*)?` or `TCP ports 3306`."""
        if self.missing:
            return f"{self.rule_kind} {self.rule_name} (missing: allows nothing)"
        if self.rule_kind in ("TCPRoute", "UDPRoute"):
            protocol = self.rule_kind[:3]
            return f"{protocol} " + ("ports " + ", ".join(map(str, self.ports)) if self.ports else "all ports")
        text = f"{','.join(self.methods) if self.methods else ANY} {self.path or '.*'}"
        if self.headers:
            text += " if " + " and ".join(f"{name}~{value}" for name, value in self.headers)
        return text


@dataclass
class AccessGraph:
    """Allowed routes per (source, destination), and every identity policy mentions."""

    edges: dict[tuple[Identity, Identity], list[AllowedRoute]] = field(default_factory=dict)
    #: How many of each pair's routes take effect, counted per TrafficTarget while building (not per route).
    effective: dict[tuple[Identity, Identity], int] = field(default_factory=dict)

    @property
    def sources(self) -> list[Identity]:
        return sorted({source for source, _ in self.edges})

    @property
    def destinations(self) -> list[Identity]:
        return sorted({destination for _, destination in self.edges})

    def routes(self, source: Identity, destination: Identity) -> list[AllowedRoute]:
        return self.edges.get((source, destination), [])

    def first_effective(self, source: Identity, destination: Identity, limit: int) -> list[AllowedRoute]:
        """The first `limit` routes of the pair that take effect (without walking all of them)."""
        found: list[AllowedRoute] = []
        for route in self.edges.get((source, destination), ()):
            if not route.missing:
                found.append(route)
                if len(found) >= limit:
                    break
        return found

    def who_can_reach(self, destination: Identity) -> dict[Identity, list[AllowedRoute]]:
        """Sources allowed to call `destination`, with the routes (only rules that take effect)."""
        return {source: effective for (source, dest), routes in sorted(self.edges.items())
                if dest == destination and (effective := [r for r in routes if r.effective])}

    def reachable_from(self, source: Identity) -> dict[Identity, list[AllowedRoute]]:
        """Destinations `source` is allowed to call, with the routes (only rules that take effect)."""
        return {dest: effective for (src, dest), routes in sorted(self.edges.items())
                if src == source and (effective := [r for r in routes if r.effective])}


def route_index(policy: PolicyInput) -> dict[tuple[str, str, str], Row]:
    """Route objects by (kind, namespace, name)."""
    return {(row.kind, row.namespace, row.name): row for kind in ROUTE_KINDS for row in policy.of_kind(kind)}


def rule_routes(target: Row, rule: dict[str, Any], routes: dict[tuple[str, str, str], Row]) -> list[AllowedRoute]:
    """What one rule of one TrafficTarget allows; routes live in the target's namespace."""
    kind, name = str(rule.get("kind") or ""), str(rule.get("name") or "")
    found = routes.get((kind, target.namespace, name))
    base = {"target": target.name, "rule_kind": kind, "rule_name": name}
    if found is None:
        return [AllowedRoute(**base, missing=True)]
    if kind in ("TCPRoute", "UDPRoute"):
        return [AllowedRoute(**base, ports=tuple(found.normalized.get("ports") or ()))]
    wanted = rule.get("matches")
    entries = [entry for entry in found.normalized.get("matches") or []
               if wanted is None or entry.get("name") in wanted]
    return [_http_route(base, entry) for entry in entries]


def _http_route(base: dict[str, str], entry: dict[str, Any]) -> AllowedRoute:
    methods = tuple(entry.get("methods") or ())
    if ANY in methods:
        methods = ()
    path = entry.get("path_regex") or ""
    headers = tuple((h.get("name", ""), h.get("value", "")) for h in entry.get("headers") or [])
    return AllowedRoute(**base, entry=str(entry.get("name") or ""), methods=methods,
                        path="" if path == ".*" else path, headers=headers)


def identity_of(reference: dict[str, Any] | None, default_namespace: str) -> Identity | None:
    if not reference or not reference.get("name"):
        return None
    return Identity(str(reference.get("namespace") or default_namespace), str(reference["name"]))


def access_graph(policy: PolicyInput) -> AccessGraph:
    """Every allowed (source, destination, route) in `policy`."""
    routes = route_index(policy)
    edges: dict[tuple[Identity, Identity], list[AllowedRoute]] = defaultdict(list)
    effective: dict[tuple[Identity, Identity], int] = defaultdict(int)
    rules = [row for kind in ACCESS_RULE_KINDS for row in policy.of_kind(kind)]
    for target in sorted(rules, key=lambda row: (row.namespace, row.name)):
        spec = target.normalized
        destination = identity_of(spec.get("destination"), target.namespace)
        if destination is None:
            continue
        allowed = [route for rule in spec.get("rules") or [] for route in rule_routes(target, rule, routes)]
        in_effect = sum(1 for route in allowed if route.effective)
        for reference in spec.get("sources") or []:
            source = identity_of(reference, target.namespace)
            if source is not None:
                edges[(source, destination)].extend(allowed)
                effective[(source, destination)] += in_effect
    return AccessGraph(dict(edges), dict(effective))
