"""TrafficTarget (access.smi-spec.io): which identities may send which routes' traffic to a destination."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..checking import check_label, check_subdomain, dicts, get
from ..codec_parts import DELETE, MISSING, Reader, optional, put, source_path
from ..errors import FieldError, NotExpressible
from ..kindspec import AccessRule, KindSpec, Patch, Published, Traits
from ..model import HeaderShape, SMIObject
from ..shapes import (
    LABEL,
    PORT,
    SUBDOMAIN,
    Node,
    array,
    document,
    dotted,
    integer,
    locate,
    node_for,
    obj,
    string,
)

GROUP = "access.smi-spec.io"
VERSIONS = ("v1alpha1", "v1alpha2", "v1alpha3")
IDENTITY_KINDS = ("ServiceAccount",)
# The route kinds a rule may name (v1alpha1/v1alpha2 knew no UDPRoute); these are the route-spec kinds of SMI.
EARLY_RULE_KINDS = ("HTTPRouteGroup", "TCPRoute")
RULE_KINDS = ("HTTPRouteGroup", "TCPRoute", "UDPRoute")


# --- model -------------------------------------------------------------------------------


@dataclass(kw_only=True)
class IdentityRef:
    """A destination or source identity; `port` exists only in access v1alpha1/v1alpha2."""

    name: str | None = None
    kind: str | None = "ServiceAccount"
    namespace: str | None = None
    port: int | None = None


@dataclass(kw_only=True)
class TrafficRule:
    """A route the target allows (`specs` in v1alpha1, `rules` later); `matches` None = all entries."""

    kind: str | None = None
    name: str | None = None
    matches: list[str] | None = None


@dataclass(kw_only=True)
class TrafficTarget(SMIObject):
    destination: IdentityRef | None = None
    rules: list[TrafficRule] | None = None
    sources: list[IdentityRef] | None = None


# --- shapes ------------------------------------------------------------------------------


def _identity(doc: str, *, with_port: bool = False, role: str = "") -> Node:
    properties = {
        "kind": string(
            "Kind of the identity; ServiceAccount is the only kind meshes implement.",
            strict={"enum": list(IDENTITY_KINDS)},
        ),
        "name": string("Name of the ServiceAccount.", strict=LABEL),
        "namespace": string("Namespace of the ServiceAccount.", strict=LABEL),
    }
    if with_port:
        properties["port"] = integer("Port of the destination the target is restricted to.", strict=PORT)
    return obj(doc, required=("name", "kind"), role=role, **properties)


def _rule(kinds: tuple[str, ...]) -> Node:
    return obj(
        "A route (HTTPRouteGroup, TCPRoute...) whose traffic the target allows.",
        required=("name", "kind"),
        kind=string("Kind of the referenced route.", enum=kinds),
        name=string("Name of the referenced route, in the target's namespace.", strict=SUBDOMAIN),
        matches=array(
            string("Name of one match entry of the referenced HTTPRouteGroup.", strict={"minLength": 1}),
            "Only these match entries of the route; all of them when omitted.",
        ),
    )


def _traffic_target(version: str) -> Node:
    sources = array(
        _identity("An identity allowed to send traffic."), "Identities allowed to send traffic.", role="sources"
    )
    if version == "v1alpha1":
        return document(
            required=("destination",),
            destination=_identity("The identity receiving the traffic.", with_port=True, role="destination"),
            specs=array(_rule(EARLY_RULE_KINDS), "Routes the target allows.", role="rules"),
            sources=sources,
        )
    if version == "v1alpha2":
        spec = obj(
            "Who may send which traffic to the destination.",
            required=("destination",),
            destination=_identity("The identity receiving the traffic.", with_port=True, role="destination"),
            rules=array(_rule(EARLY_RULE_KINDS), "Routes the target allows.", role="rules"),
            sources=sources,
        )
    else:
        spec = obj(
            "Who may send which traffic to the destination.",
            required=("destination", "rules", "sources"),
            destination=_identity("The identity receiving the traffic.", role="destination"),
            rules=array(_rule(RULE_KINDS), "Routes the target allows.", role="rules", strict={"minItems": 1}),
            sources=array(sources.items, sources.doc, role="sources", strict={"minItems": 1}),
        )
    return document(spec_required=("spec",), spec=spec)


# --- read and write ----------------------------------------------------------------------


def _read_identity(r: Reader, value: Any, path: str, with_port: bool) -> IdentityRef | None:
    entry = r.mapping(value, path)
    if entry is None:
        return None
    return IdentityRef(
        kind=r.string(entry.get("kind", MISSING), f"{path}.kind"),
        name=r.string(entry.get("name", MISSING), f"{path}.name"),
        namespace=r.string(entry.get("namespace", MISSING), f"{path}.namespace"),
        port=r.integer(entry.get("port", MISSING), f"{path}.port") if with_port else None,
    )


def _read_target(r: Reader, kind: str, version: str) -> dict[str, Any]:
    destination_path = locate(kind, version, "destination")
    with_port = "port" in node_for(kind, version, "destination").properties
    fields: dict[str, Any] = {
        "destination": _read_identity(r, r.at(destination_path), dotted(destination_path), with_port)
    }
    rules_path = locate(kind, version, "rules")
    items = r.items(r.at(rules_path), dotted(rules_path))
    if items is not None:
        fields["rules"] = [
            TrafficRule(
                kind=r.string(entry.get("kind", MISSING), f"{path}.kind"),
                name=r.string(entry.get("name", MISSING), f"{path}.name"),
                matches=r.strings(entry.get("matches", MISSING), f"{path}.matches"),
            )
            for path, item in items
            if (entry := r.mapping(item, path)) is not None
        ]
    sources_path = locate(kind, version, "sources")
    items = r.items(r.at(sources_path), dotted(sources_path))
    if items is not None:
        fields["sources"] = [
            source for path, item in items if (source := _read_identity(r, item, path, False)) is not None
        ]
    return fields


def _identity_fragment(
    identity: IdentityRef, target_node: Node, source_node: Node, target: str, field: str
) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "kind": DELETE if identity.kind is None else identity.kind,
        "name": DELETE if identity.name is None else identity.name,
        "namespace": DELETE if identity.namespace is None else identity.namespace,
    }
    optional(
        entry,
        "port",
        identity.port,
        in_target="port" in target_node.properties,
        in_source="port" in source_node.properties,
        field=f"{field}.port",
        target=target,
    )
    return entry


def _target_fragment(obj: TrafficTarget, target: str, fragment: dict[str, Any], _shape: HeaderShape | None) -> None:
    kind = obj.kind
    destination_path = locate(kind, target, "destination")
    if obj.destination is None:
        put(fragment, destination_path, DELETE)
    else:
        put(
            fragment,
            destination_path,
            _identity_fragment(
                obj.destination,
                node_for(kind, target, "destination"),
                node_for(kind, obj.version, "destination"),
                target,
                source_path(obj, "destination"),
            ),
        )
    rules_path = locate(kind, target, "rules")
    allowed = node_for(kind, target, "rules").items.child("kind").enum
    if obj.rules is None:
        put(fragment, rules_path, DELETE)
    else:
        rules = []
        for index, rule in enumerate(obj.rules):
            if rule.kind in RULE_KINDS and rule.kind not in allowed:
                raise NotExpressible(
                    f"{source_path(obj, 'rules')}[{index}].kind",
                    target,
                    f"{rule.kind} rules need access v1alpha3; {target} allows only {', '.join(allowed)}",
                )
            rules.append(
                {
                    "kind": DELETE if rule.kind is None else rule.kind,
                    "name": DELETE if rule.name is None else rule.name,
                    "matches": DELETE if rule.matches is None else list(rule.matches),
                }
            )
        put(fragment, rules_path, rules)
    sources_path = locate(kind, target, "sources")
    if obj.sources is None:
        put(fragment, sources_path, DELETE)
    else:
        source_node = node_for(kind, target, "sources").items
        put(
            fragment,
            sources_path,
            [
                _identity_fragment(source, source_node, source_node, target, f"{source_path(obj, 'sources')}[{i}]")
                for i, source in enumerate(obj.sources)
            ],
        )


# --- checks ------------------------------------------------------------------------------


def _target_checks(manifest: dict[str, Any], version: str) -> list[FieldError]:
    errors: list[FieldError] = []
    base = ("spec",) if version != "v1alpha1" else ()
    prefix = "spec." if base else ""
    container = get(manifest, *base) if base else manifest
    destination = get(container, "destination")
    if isinstance(destination, dict):
        _identity_checks(errors, destination, f"{prefix}destination")
        port = destination.get("port")
        if isinstance(port, int | float) and not isinstance(port, bool) and not 1 <= port <= 65535:
            errors.append(FieldError(f"{prefix}destination.port", "port-out-of-range", f"{port} is not in 1-65535"))
        namespace = get(manifest, "metadata", "namespace")
        target_ns = destination.get("namespace")
        if isinstance(namespace, str) and isinstance(target_ns, str) and namespace != target_ns:
            errors.append(
                FieldError(
                    f"{prefix}destination.namespace",
                    "namespace-mismatch",
                    f"the TrafficTarget is in {namespace!r} but its destination in {target_ns!r}",
                )
            )
    rules_key = "specs" if version == "v1alpha1" else "rules"
    for key in (rules_key, "sources"):
        value = get(container, key)
        if version == "v1alpha3" and isinstance(value, list) and not value:
            errors.append(
                FieldError(f"{prefix}{key}", "empty", f"a v1alpha3 TrafficTarget needs at least one {key[:-1]}")
            )
    for path, rule in dicts(get(container, rules_key), f"{prefix}{rules_key}"):
        check_subdomain(errors, rule.get("name"), f"{path}.name", "route name")
        matches = rule.get("matches")
        if isinstance(matches, list):
            for index, name in enumerate(matches):
                if name == "":
                    errors.append(FieldError(f"{path}.matches[{index}]", "empty", "a match entry name is empty"))
    for path, source in dicts(get(container, "sources"), f"{prefix}sources"):
        _identity_checks(errors, source, path)
    return errors


def _identity_checks(errors: list[FieldError], identity: dict[str, Any], path: str) -> None:
    kind = identity.get("kind")
    if isinstance(kind, str) and kind != "ServiceAccount":
        errors.append(
            FieldError(
                f"{path}.kind",
                "unsupported-identity-kind",
                f"{kind!r}: ServiceAccount is the only identity kind meshes implement",
            )
        )
    check_label(errors, identity.get("name"), f"{path}.name", "ServiceAccount")
    check_label(errors, identity.get("namespace"), f"{path}.namespace", "namespace", "invalid-namespace")


# --- publishers --------------------------------------------------------------------------


_PORT_NUMBER_V1 = Patch(
    "TrafficTarget", ("v1alpha1",), "retype", "destination.port", "typed `number`, the Go field is an int", "number"
)

_PORT_NUMBER_V2 = Patch(
    "TrafficTarget", ("v1alpha2",), "retype", "spec.destination.port", "typed `number`, the Go field is an int",
    "number",
)  # fmt: skip

_PORT_REQUIRED_V1 = Patch(
    "TrafficTarget", ("v1alpha1",), "require", "destination.port",
    "the multi-version CRD restored the early v1alpha1 schema, which required the port",
)  # fmt: skip


# --- the specification -------------------------------------------------------------------


def _allowed_pairs(target: TrafficTarget) -> list[tuple[tuple[str, str], tuple[str, str]]]:
    """Every (source, destination) ServiceAccount pair the target allows, namespaces defaulted to its own."""
    wanted = target.destination
    if wanted is None or not wanted.name:
        return []
    destination = (wanted.namespace or target.namespace or "", wanted.name)
    return [((source.namespace or target.namespace or "", source.name), destination)
            for source in target.sources or [] if source.name]


def _starter(version: str, namespace: str) -> TrafficTarget:
    return TrafficTarget(version=version, metadata={"name": "", "namespace": namespace},
                         destination=IdentityRef(name="", namespace=namespace),
                         rules=[TrafficRule(kind="HTTPRouteGroup", name="")],
                         sources=[IdentityRef(name="", namespace=namespace)])


_ALL = ("v1alpha1", "v1alpha2", "v1alpha3")
_SDK_PATCHES = (_PORT_NUMBER_V1, _PORT_NUMBER_V2, _PORT_REQUIRED_V1)

SPEC = KindSpec(
    kind="TrafficTarget",
    group=GROUP,
    plural="traffictargets",
    singular="traffictarget",
    short_names=("tt",),
    versions=VERSIONS,
    model=TrafficTarget,
    shapes={version: _traffic_target(version) for version in VERSIONS},
    read=_read_target,
    write=_target_fragment,
    containers=("destination", "rules", "sources"),
    checks=_target_checks,
    unsupported_versions={
        "v1alpha4": "access v1alpha4 (IdentityBinding) is a spec draft with no CRD and no implementation"
    },
    published={
        "smi-sdk-go": Published(structural=_ALL, patches=_SDK_PATCHES),
        "osm": Published(structural=_ALL, patches=_SDK_PATCHES),
        "traefik-mesh": Published(structural=("v1alpha2",), schemaless=("v1alpha1",), patches=(_PORT_NUMBER_V2,)),
    },
    served_in={"smi-sdk-go": ("v1alpha3",), "osm": ("v1alpha3",), "traefik-mesh": ("v1alpha2",)},
    starter=_starter,
    traits=Traits(access_rule=AccessRule(pairs=_allowed_pairs)),
)
