"""The names an editing form's reference fields point at: suggestions, and the ones that name nothing.

A TrafficSplit names Services and HTTPRouteGroups of its namespace; a TrafficTarget names
ServiceAccounts (in any namespace), routes of its namespace and match entries of those routes.
The form offers the names the inventory holds (a `<datalist>` per list, bounded per namespace)
and, as the user types, asks `missing_references` which values name nothing, so the form can
say so beside the field. A warning never blocks a save: a reference may point at something
created later. Only namespaces the user may see are judged, so a warning never reveals what a
namespace they cannot see holds (nor that it holds nothing).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from smi_ui.accounts.permissions import may, visible_namespaces_q, visible_q
from smi_ui.accounts.roles import Action
from smi_ui.clusters.models import Cluster
from smi_ui.inventory.models import KubeObject
from smi_ui.smi.kinds import REGISTRY

#: Names each suggestion list offers per namespace, and in all (a datalist is read by a person).
SUGGEST_PER_NAMESPACE = 200
SUGGEST_TOTAL = 1000
#: References one check may name (a form holds a few dozen; more is not a form).
MAX_REFERENCES = 200
#: Kinds a TrafficTarget rule may name; match names are judged for HTTPRouteGroups only.
ROUTE_KINDS = tuple(spec.kind for spec in REGISTRY.with_trait("route_spec"))
#: Kinds whose forms have reference fields (route kinds name nothing).
REFERRING_KINDS = ("TrafficSplit", "TrafficTarget")
#: A match entry name, as a reference "kind" (its `group` is the HTTPRouteGroup holding it).
MATCH = "match"


@dataclass(frozen=True)
class Reference:
    """One field of a manifest naming another object: where it is, and what it names."""

    path: str  # as the form and the API address the field: `spec.backends[1].service`
    kind: str  # Service, ServiceAccount, a route kind, or MATCH
    namespace: str
    name: str
    group: str = ""  # MATCH only: the HTTPRouteGroup the entry should be in

    def message(self) -> str:
        if self.kind == MATCH:
            return f"no match {self.name} in HTTPRouteGroup {self.group}"
        return f"no {self.kind} {self.name} in {self.namespace}"


def _items(value: Any) -> list[dict[str, Any]]:
    return [item if isinstance(item, dict) else {} for item in value] if isinstance(value, list) else []


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def references(manifest: dict[str, Any]) -> list[Reference]:
    """Every non-empty reference field of a TrafficSplit or TrafficTarget manifest (any served version).

    Read leniently: a half-filled form still has references worth judging; what is malformed
    is the validator's business, not this one's.
    """
    return [ref for ref in _references(manifest) if ref.name and ref.namespace]


def _references(manifest: dict[str, Any]) -> Iterator[Reference]:
    metadata = manifest.get("metadata") if isinstance(manifest.get("metadata"), dict) else {}
    namespace = _text(metadata.get("namespace"))
    spec = manifest.get("spec")
    body, at = (spec, "spec.") if isinstance(spec, dict) else (manifest, "")
    kind = manifest.get("kind")
    if kind == "TrafficSplit":
        yield Reference(f"{at}service", "Service", namespace, _text(body.get("service")))
        for i, backend in enumerate(_items(body.get("backends"))):
            yield Reference(f"{at}backends[{i}].service", "Service", namespace, _text(backend.get("service")))
        for i, match in enumerate(_items(body.get("matches"))):
            if (match.get("kind") or "HTTPRouteGroup") == "HTTPRouteGroup":
                yield Reference(f"{at}matches[{i}].name", "HTTPRouteGroup", namespace, _text(match.get("name")))
    elif kind == "TrafficTarget":
        for path, identity in [("destination", body.get("destination")),
                               *((f"sources[{i}]", s) for i, s in enumerate(_items(body.get("sources"))))]:
            if isinstance(identity, dict):
                yield Reference(f"{at}{path}.name", "ServiceAccount",
                                _text(identity.get("namespace")) or namespace, _text(identity.get("name")))
        key = "specs" if "specs" in body else "rules"
        for i, rule in enumerate(_items(body.get(key))):
            route_kind, route = _text(rule.get("kind")), _text(rule.get("name"))
            if route_kind not in ROUTE_KINDS:
                continue
            yield Reference(f"{at}{key}[{i}].name", route_kind, namespace, route)
            matches = rule.get("matches")
            if route_kind == "HTTPRouteGroup" and route and isinstance(matches, list):
                for j, entry in enumerate(matches):
                    yield Reference(f"{at}{key}[{i}].matches[{j}]", MATCH, namespace, _text(entry), group=route)


def match_names(normalized: dict[str, Any] | None) -> list[str]:
    """The match entry names of an HTTPRouteGroup, from its version-neutral fields."""
    return [str(entry["name"]) for entry in _items((normalized or {}).get("matches")) if entry.get("name")]


def missing_references(user: Any, cluster: Cluster, refs: Sequence[Reference]) -> list[dict[str, str]]:
    """A warning `{path, message, code}` per reference naming nothing the inventory holds.

    References into namespaces the user may not see are not judged (no warning either way).
    Two queries whatever the number of references.
    """
    namespaces = {ref.namespace for ref in refs}
    seen = {ns for ns in namespaces if may(user, Action.VIEW, cluster_id=cluster.pk, namespace=ns)}
    judged = [ref for ref in refs if ref.namespace in seen]
    if not judged:
        return []
    kinds = {ref.kind for ref in judged if ref.kind != MATCH} | ({"HTTPRouteGroup"} if any(
        ref.kind == MATCH for ref in judged) else set())
    names = {ref.group if ref.kind == MATCH else ref.name for ref in judged}
    rows = (KubeObject.objects.filter(cluster=cluster, kind__in=kinds, namespace__in=seen, name__in=names)
            .filter(visible_q(user)).values_list("kind", "namespace", "name", "normalized"))
    present: dict[tuple[str, str, str], dict[str, Any]] = {(k, ns, n): normalized for k, ns, n, normalized in rows}
    warnings = []
    for ref in judged:
        if ref.kind == MATCH:
            group = present.get(("HTTPRouteGroup", ref.namespace, ref.group))
            absent = group is not None and ref.name not in match_names(group)  # a missing group is said once
        else:
            absent = (ref.kind, ref.namespace, ref.name) not in present
        if absent:
            warnings.append({"path": ref.path, "message": ref.message(), "code": "missing-reference"})
    return warnings


def suggestions(cluster: Cluster, namespace: str, user: Any) -> dict[str, list[str]]:
    """Datalist id (without `dl-`) -> names the form offers, among what the user may see.

    Services and routes of the form's namespace; ServiceAccounts as `namespace/name` (the form
    fills both fields), the form's namespace first; namespaces; and for each HTTPRouteGroup of
    the namespace its match entry names (`matches-<group>`), for the rules naming it.
    Each list holds at most SUGGEST_PER_NAMESPACE names of one namespace and SUGGEST_TOTAL in all.
    """
    visible = KubeObject.objects.filter(cluster=cluster).filter(visible_q(user))
    here = visible.filter(namespace=namespace) if namespace else visible.none()

    def names(kind: str) -> list[str]:
        return list(here.filter(kind=kind).order_by("name").values_list("name", flat=True)[:SUGGEST_PER_NAMESPACE])

    result = {"services": names("Service"), "httproutegroups": names("HTTPRouteGroup"),
              "tcproutes": names("TCPRoute"), "udproutes": names("UDPRoute")}
    accounts = [f"{namespace}/{name}" for name in names("ServiceAccount")]
    per_namespace: dict[str, int] = {}
    others = (visible.filter(kind="ServiceAccount").exclude(namespace=namespace).order_by("namespace", "name")
              .values_list("namespace", "name")[:SUGGEST_TOTAL * 5])
    for other, name in others:
        if len(accounts) >= SUGGEST_TOTAL:
            break
        if per_namespace.get(other, 0) < SUGGEST_PER_NAMESPACE:
            per_namespace[other] = per_namespace.get(other, 0) + 1
            accounts.append(f"{other}/{name}")
    result["serviceaccounts"] = accounts
    result["namespaces"] = list(KubeObject.objects.filter(cluster=cluster, kind="Namespace")
                                .filter(visible_namespaces_q(user)).order_by("name")
                                .values_list("name", flat=True)[:SUGGEST_TOTAL])
    budget = SUGGEST_TOTAL
    groups = here.filter(kind="HTTPRouteGroup").order_by("name").values_list("name", "normalized")
    for group, normalized in groups[:SUGGEST_PER_NAMESPACE]:
        entries = sorted(set(match_names(normalized)))[:min(budget, SUGGEST_PER_NAMESPACE)]
        if not entries:
            continue
        result[f"matches-{group}"] = entries
        budget -= len(entries)
        if budget <= 0:
            break
    return result
