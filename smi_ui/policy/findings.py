"""What an auditor should look at: rules that cannot work, rules that allow too much, targets nobody runs as,
and traffic the mesh carries (or tries to) without any rule allowing it.

Each finding names the objects it concerns (the TrafficTarget, or for traffic no rule covers the
two Deployments), how serious it is, and how to fix it.
Referential checks only judge namespaces whose contents are known (see `PolicyInput`).
Traffic findings need observed edges (`selectors.observed_traffic_for`, from the figures
the metrics pollers last cached) and only apply when the cluster enforces access control: in
permissive mode the same TrafficTargets deny nothing (see `selectors.access_control_on`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from enum import IntEnum
from typing import Any

from .graph import AccessGraph, access_graph, identity_of, route_index, rule_routes
from .inputs import ACCESS_RULE_KINDS, WORKLOAD_KINDS, Identity, PolicyInput, Row


class Severity(IntEnum):
    INFO = 1
    WARNING = 2
    ERROR = 3

    @property
    def label(self) -> str:
        return self.name.lower()


@dataclass(frozen=True, order=True)
class ObjectRef:
    """An object a finding concerns, addressed as the inventory addresses it."""

    kind: str
    namespace: str
    name: str

    @property
    def plural(self) -> str:
        """The kind as object URLs spell it (`traffictargets`, `deployments`)."""
        return self.kind.lower() + "s"


@dataclass(frozen=True)
class Finding:
    """One problem, with the objects it concerns.

    `target` is the TrafficTarget's name, empty for traffic that no TrafficTarget covers;
    `concerns` lists every object a reader meets the problem on (its page and list row).
    """

    code: str
    severity: Severity
    namespace: str
    target: str
    message: str
    hint: str
    concerns: tuple[ObjectRef, ...] = ()

    def about(self, kind: str, namespace: str, name: str) -> bool:
        return ObjectRef(kind, namespace, name) in self.concerns


BROAD_PATHS = {"", ".*", "/.*", "/*", ".+", "/.+"}


@dataclass(frozen=True)
class ObservedTraffic:
    """Requests the metrics saw from one Deployment to another, in requests per second."""

    source_namespace: str
    source: str
    destination_namespace: str
    destination: str
    rps: float

    def describe(self) -> str:
        return f"{self.source_namespace}/{self.source} → {self.destination_namespace}/{self.destination}"


def observed_traffic(documents: Iterable[dict[str, Any]]) -> list[ObservedTraffic]:
    """Edges carrying requests in `NamespaceMetrics.as_json()` documents; an edge seen by two namespaces counts once."""
    found: dict[str, ObservedTraffic] = {}
    for document in documents:
        if not document or not document.get("available", True):
            continue
        for label, figures in (document.get("edges") or {}).items():
            source, arrow, destination = label.partition("->")
            source_namespace, _, source_name = source.partition("/")
            destination_namespace, _, destination_name = destination.partition("/")
            rps = float((figures or {}).get("rps") or 0.0)
            if arrow and source_name and destination_name and rps > 0:
                found[label] = ObservedTraffic(source_namespace, source_name, destination_namespace,
                                               destination_name, rps)
    return [found[label] for label in sorted(found)]


def unallowed_traffic_findings(policy: PolicyInput, observed: Iterable[ObservedTraffic], *,
                               access_control: bool = True) -> list[Finding]:
    """Observed traffic between workloads whose ServiceAccounts no effective rule connects.

    With access control on, the mesh refuses these requests: either a TrafficTarget is
    missing (or broken) for a caller that needs it, or something calls what it should not.
    Workloads the inventory does not know cannot be judged and are skipped.
    """
    observed = [edge for edge in observed if edge.rps > 0]
    if not access_control or not observed:
        return []
    return traffic_findings(allowed_pairs(access_graph(policy)), workload_identities(policy), observed,
                            workload_services(policy))


def allowed_pairs(graph: AccessGraph) -> frozenset[tuple[Identity, Identity]]:
    """(source, destination) pairs some rule in effect lets through."""
    return frozenset(pair for pair, routes in graph.edges.items() if any(r.effective for r in routes))


def workload_identities(policy: PolicyInput) -> dict[tuple[str, str], Identity]:
    """(namespace, Deployment) -> the ServiceAccount it runs as."""
    return {(row.namespace, row.name): Identity(row.namespace, str(row.normalized.get("service_account")
                                                                    or "default"))
            for row in policy.of_kind("Deployment")}


def workload_services(policy: PolicyInput) -> dict[tuple[str, str], tuple[str, ...]]:
    """(namespace, Deployment) -> the Services whose selector picks its pods (selector ⊆ pod labels)."""
    by_label: dict[tuple[str, str, str], set[str]] = {}
    for row in policy.of_kind("Deployment"):
        for label, value in (row.normalized.get("pod_labels") or {}).items():
            by_label.setdefault((row.namespace, label, str(value)), set()).add(row.name)
    found: dict[tuple[str, str], list[str]] = {}
    for service in policy.of_kind("Service"):
        selector = service.normalized.get("selector") or {}
        selected: set[str] | None = None
        for label, value in selector.items():
            matching = by_label.get((service.namespace, label, str(value)), set())
            selected = set(matching) if selected is None else selected & matching
            if not selected:
                break
        for workload in selected or ():
            found.setdefault((service.namespace, workload), []).append(service.name)
    return {key: tuple(sorted(names)) for key, names in found.items()}


def traffic_findings(allowed: frozenset[tuple[Identity, Identity]], identities: dict[tuple[str, str], Identity],
                     observed: Iterable[ObservedTraffic],
                     services: dict[tuple[str, str], tuple[str, ...]] | None = None) -> list[Finding]:
    """The unallowed-traffic findings of `observed`, given what policy allows (access control on).

    Each concerns both Deployments and the Services in front of them (`services`), where
    readers meet the problem on the topology and the object pages.
    """
    services = services or {}

    def ends(namespace: str, workload: str) -> tuple[ObjectRef, ...]:
        return (ObjectRef("Deployment", namespace, workload),
                *(ObjectRef("Service", namespace, name) for name in services.get((namespace, workload), ())))

    found: list[Finding] = []
    for edge in observed:
        source = identities.get((edge.source_namespace, edge.source))
        destination = identities.get((edge.destination_namespace, edge.destination))
        if edge.rps <= 0 or source is None or destination is None or (source, destination) in allowed:
            continue
        found.append(Finding(
            "unallowed-traffic", Severity.ERROR, edge.destination_namespace, "",
            f"{edge.rps:.3g} rps observed on {edge.describe()} (ServiceAccount {source} → {destination}), "
            "but no TrafficTarget rule in effect allows it; with access control on, the mesh denies these requests",
            f"add a TrafficTarget in {destination.namespace} with destination {destination.name} and source "
            f"{source}, or stop {edge.source} from calling {edge.destination}",
            (*ends(edge.source_namespace, edge.source), *ends(edge.destination_namespace, edge.destination))))
    return found


def policy_findings(policy: PolicyInput, observed: Iterable[ObservedTraffic] | None = None, *,
                    access_control: bool = True) -> list[Finding]:
    """Every finding, most serious first; traffic findings only when `observed` edges are given."""
    findings = rule_findings(policy)
    if observed is not None:
        findings.extend(unallowed_traffic_findings(policy, observed, access_control=access_control))
    return sorted_findings(findings)


def sorted_findings(findings: Iterable[Finding]) -> list[Finding]:
    """Most serious first, then by namespace and TrafficTarget: the order every page lists them in."""
    return sorted(findings, key=lambda f: (-f.severity, f.namespace, f.target, f.code, f.message))


def rule_findings(policy: PolicyInput) -> list[Finding]:
    """What is wrong with the TrafficTargets themselves (no traffic needed), most serious first."""
    routes = route_index(policy)
    accounts = {(row.namespace, row.name) for row in policy.of_kind("ServiceAccount")}
    run_as = {(row.namespace, str(row.normalized.get("service_account") or "default"))
              for kind in WORKLOAD_KINDS for row in policy.of_kind(kind)}
    findings: list[Finding] = []
    for target in (row for kind in ACCESS_RULE_KINDS for row in policy.of_kind(kind)):
        ref = ObjectRef(target.kind, target.namespace, target.name)
        for finding in (*_rule_findings(target, routes), *_identity_findings(target, policy, accounts, run_as)):
            findings.append(replace(finding, concerns=(ref, *finding.concerns)))
    return sorted_findings(findings)


def _rule_findings(target: Row, routes: dict) -> list[Finding]:
    found: list[Finding] = []
    for rule in target.normalized.get("rules") or []:
        kind, name = rule.get("kind") or "?", rule.get("name") or "?"
        allowed = rule_routes(target, rule, routes)
        if any(route.missing for route in allowed):
            found.append(Finding(
                "missing-route", Severity.ERROR, target.namespace, target.name,
                f"rule names {kind} {name!r}, which does not exist in namespace {target.namespace}; "
                "the mesh allows nothing through this rule",
                f"create {kind} {name} in {target.namespace}, or point the rule at an existing one"))
            continue
        group = routes.get((kind, target.namespace, name))
        entry_names = {entry.get("name") for entry in (group.normalized.get("matches") or [])} if group else set()
        for wanted in rule.get("matches") or []:
            if kind == "HTTPRouteGroup" and wanted not in entry_names:
                found.append(Finding(
                    "missing-match", Severity.ERROR, target.namespace, target.name,
                    f"rule names match {wanted!r} of HTTPRouteGroup {name}, which has no such entry",
                    f"use one of: {', '.join(sorted(filter(None, entry_names))) or '(none)'}"))
        for route in allowed:
            if kind == "HTTPRouteGroup" and not route.methods and route.path in BROAD_PATHS and not route.headers:
                found.append(Finding(
                    "broad-rule", Severity.WARNING, target.namespace, target.name,
                    f"{name}/{route.entry or '?'} allows every method on every path",
                    "list the methods and a narrower pathRegex the callers need"))
    return found


def _identity_findings(target: Row, policy: PolicyInput, accounts: set[tuple[str, str]],
                       run_as: set[tuple[str, str]]) -> list[Finding]:
    found: list[Finding] = []
    spec = target.normalized
    destination = identity_of(spec.get("destination"), target.namespace)
    references: list[tuple[str, Identity]] = []
    if destination is not None:
        references.append(("destination", destination))
        if destination.namespace != target.namespace:
            found.append(Finding(
                "namespace-mismatch", Severity.WARNING, target.namespace, target.name,
                f"destination is in namespace {destination.namespace}, the target in {target.namespace}",
                "create the TrafficTarget in the destination's namespace (OSM refuses it otherwise)"))
    references += [("source", s) for ref in spec.get("sources") or [] if (s := identity_of(ref, target.namespace))]
    for role, identity in references:
        if not policy.knows(identity.namespace):
            continue
        if (identity.namespace, identity.name) not in accounts:
            found.append(Finding(
                "missing-service-account", Severity.ERROR if role == "destination" else Severity.WARNING,
                target.namespace, target.name,
                f"{role} ServiceAccount {identity} does not exist",
                f"create ServiceAccount {identity.name} in {identity.namespace}, or fix the name"))
        elif role == "destination" and (identity.namespace, identity.name) not in run_as:
            found.append(Finding(
                "no-workload", Severity.WARNING, target.namespace, target.name,
                f"no workload runs as the destination ServiceAccount {identity}",
                "set serviceAccountName on the destination's Deployment, or retarget the rule",
                (ObjectRef("ServiceAccount", identity.namespace, identity.name),)))
    return found
