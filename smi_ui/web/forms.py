"""Server side of the editing pages: which version a form writes and its starting values.

The browser builds the manifest from the form (static/js/editor.js) and sends it to the REST
API, whose pipeline validates, dry-runs, writes and audits. What is decided here is only what
the form offers: the fields the target version can hold (a v1alpha2 TrafficSplit has no
`matches`, a v1alpha3 TrafficTarget no destination port) and the values to start from.
Offering a field the version cannot hold would only lead to a refusal. The names a reference
field suggests, and those it warns about, are `references`' business.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from fractions import Fraction
from typing import Any

from smi_ui.accounts.permissions import may
from smi_ui.accounts.roles import Action
from smi_ui.changes.diff import to_yaml
from smi_ui.changes.versions import ServedVersions, own_version
from smi_ui.clusters.models import Cluster
from smi_ui.smi import (
    HTTPRouteGroup,
    IdentityRef,
    InvalidManifest,
    PortRoute,
    SMIObject,
    TrafficSplit,
    TrafficTarget,
    UnsupportedAPIVersion,
    parse,
    serialize,
)
from smi_ui.smi.kinds import KindInfo
from smi_ui.smi.shapes import locate, node_for, shape

from .views.common import visible_namespace_names

#: HTTP methods an HTTPRouteGroup match may list (the CRD's enum), offered as checkboxes.
HTTP_METHODS = ("*", "GET", "HEAD", "PUT", "POST", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH")


@dataclass(frozen=True)
class Capabilities:
    """What the version a form writes can hold; the form shows only those fields."""

    kind: str
    version: str
    api_version: str
    top_level: bool  # the version keeps its fields at the top, without `spec`
    split_matches: bool  # backends restricted to route groups
    quantity_weights: bool  # weights are quantities (`500m`), not integers
    destination_port: bool  # the destination identity may name a port
    rule_kinds: tuple[str, ...]  # the route kinds a rule may name
    headers: bool  # HTTP match entries may filter on headers
    ports: bool  # port routes may list ports

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def capabilities(info: KindInfo, version: str) -> Capabilities:
    """The fields of `info` that `version` has, read from the kind's shapes (what the codec writes)."""
    known = version if version in info.versions else info.latest_version
    kind = info.kind
    weight = node_for(kind, known, "weight")
    destination = node_for(kind, known, "destination")
    rules = node_for(kind, known, "rules")
    rule_kind = rules.items.child("kind") if rules is not None and rules.items is not None else None
    return Capabilities(
        kind=kind, version=version, api_version=info.api_version(version),
        top_level=shape(kind, known).child("spec") is None,
        split_matches=locate(kind, known, "split-matches") is not None,
        quantity_weights=weight is not None and weight.type == "quantity",
        destination_port=destination is not None and "port" in destination.properties,
        rule_kinds=rule_kind.enum if rule_kind is not None else (),
        headers=node_for(kind, known, "headers") is not None,
        ports=locate(kind, known, "port-matches") is not None,
    )


def served(cluster: Cluster, info: KindInfo) -> ServedVersions | None:
    """The versions of `info` the cluster serves, as sync last discovered them (None: no CRD)."""
    entry = (cluster.served_kinds or {}).get(info.kind)
    if not entry or not entry.get("versions"):
        return None
    return ServedVersions(tuple(entry["versions"]), entry.get("preferred") or entry["versions"][-1])


def form_version(cluster: Cluster, info: KindInfo, document: dict[str, Any] | None = None) -> str | None:
    """The version an edit will be written in: the object's own (when still served), else the preferred one."""
    versions = served(cluster, info)
    if versions is None:
        return None
    if document is None:
        return versions.preferred
    return own_version(document, info, versions)


def editable_namespaces(user: Any, cluster: Cluster, info: KindInfo) -> list[str]:
    """Namespaces of `cluster` in which `user` may create `info` objects (the create form offers only these)."""
    return [namespace for namespace in visible_namespace_names(user, cluster)
            if may(user, Action.EDIT_POLICY, cluster_id=cluster.pk, namespace=namespace, kind=info.kind)]


def parsed(document: dict[str, Any], version: str, info: KindInfo) -> SMIObject | None:
    """The object read in the form's version; None when it cannot be read (the YAML editor still can)."""
    relabelled = {**document, "apiVersion": info.api_version(version)}
    for candidate in (relabelled, document):
        try:
            return parse(candidate)
        except (InvalidManifest, UnsupportedAPIVersion):
            continue
    return None


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _weight(weight: Fraction | None, quantities: bool) -> str:
    if weight is None:
        return ""
    if weight.denominator == 1:
        return str(weight.numerator)
    if quantities and (weight * 1000).denominator == 1:
        return f"{weight * 1000}m"
    return str(float(weight))


def _identity(ref: IdentityRef | None, namespace: str) -> dict[str, str]:
    ref = ref or IdentityRef(namespace=namespace)
    return {"name": _text(ref.name), "namespace": _text(ref.namespace), "port": _text(ref.port)}


def form_values(info: KindInfo, obj: SMIObject | None, namespace: str, caps: Capabilities) -> dict[str, Any]:
    """The values the structured form starts from: the object's, or one empty row of each list."""
    if isinstance(obj, TrafficSplit):
        return {"service": _text(obj.service),
                "backends": [{"service": _text(b.service), "weight": _weight(b.weight, caps.quantity_weights)}
                             for b in obj.backends or []],
                "matches": [{"name": _text(m.name)} for m in obj.matches or []]}
    if isinstance(obj, TrafficTarget):
        return {"destination": _identity(obj.destination, namespace),
                "rules": [{"kind": _text(r.kind), "name": _text(r.name), "matches": ", ".join(r.matches or [])}
                          for r in obj.rules or []],
                "sources": [_identity(s, namespace) for s in obj.sources or []]}
    if isinstance(obj, HTTPRouteGroup):
        return {"matches": [{"name": _text(m.name), "pathRegex": _text(m.path_regex), "methods": list(m.methods or []),
                             "headers": [{"name": h.name, "value": h.value} for h in m.headers or []]}
                            for m in obj.matches or []],
                "header_shape": next((m.header_shape for m in obj.matches or [] if m.header_shape), "list")}
    if isinstance(obj, PortRoute):
        return {"ports": [_text(port) for port in obj.ports or []], "match_name": _text(obj.match_name)}
    return blank_values(info, namespace)


def blank_values(info: KindInfo, namespace: str) -> dict[str, Any]:
    """A new object's form: one row in each list the kind requires, so the user sees what to fill in."""
    kind = info.kind
    if kind == "TrafficSplit":
        return {"service": "", "backends": [{"service": "", "weight": "50"}, {"service": "", "weight": "50"}],
                "matches": []}
    if kind == "TrafficTarget":
        return {"destination": {"name": "", "namespace": namespace, "port": ""},
                "rules": [{"kind": "HTTPRouteGroup", "name": "", "matches": ""}],
                "sources": [{"name": "", "namespace": namespace, "port": ""}]}
    if kind == "HTTPRouteGroup":
        return {"matches": [{"name": "", "pathRegex": "", "methods": ["GET"], "headers": []}], "header_shape": "list"}
    return {"ports": [], "match_name": ""}


def starter_manifest(info: KindInfo, version: str, namespace: str) -> dict[str, Any]:
    """A minimal object of the kind, in the version the cluster serves, for the YAML editor to start from."""
    starter = getattr(info, "starter", None)
    obj = starter(version, namespace) if starter else info.model(version=version,
                                                                 metadata={"name": "", "namespace": namespace})
    return serialize(obj, version)


def editable_document(document: dict[str, Any]) -> dict[str, Any]:
    """The object as the YAML editor shows it: what an edit may change, without the cluster's bookkeeping."""
    metadata = document.get("metadata") or {}
    kept = {key: metadata[key] for key in ("name", "namespace", "labels", "annotations") if metadata.get(key)}
    result = {key: value for key, value in document.items() if key not in ("metadata", "status")}
    ordered = {"apiVersion": result.pop("apiVersion", None), "kind": result.pop("kind", None), "metadata": kept}
    return {**{k: v for k, v in ordered.items() if v is not None}, **result}


def editable_yaml(document: dict[str, Any]) -> str:
    """The YAML editor's starting text: what the user may change, in the order a manifest is read."""
    return to_yaml(editable_document(document))


def editor_rows(text: str) -> int:
    """The YAML editor's height in lines: the whole object plus room to add, within the screen."""
    return max(12, min(40, text.count("\n") + 4))
