"""Field descriptions of every SMI kind and version: the one place that says what a document holds.

The codec reads and writes documents through these descriptions (where a field lives in
each version, which optional fields a version has), validation walks them to type-check
raw dicts, and the JSON schemas are generated from them. Adding a field to a version is
therefore one edit here, and the codec, the validation and the schemas follow.

A node's `role` names what the codec maps onto it (`"backends"`, `"rules"`...), so the
codec finds TrafficTarget rules under `specs` in v1alpha1 and `spec.rules` later without
hard-coding either path. `strict` holds extra JSON-schema keywords that only the project's
own (stricter) schema applies; the CRD-like schema ignores them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from types import MappingProxyType
from typing import Any

from .kinds import HTTP_ROUTE_GROUP, TCP_ROUTE, TRAFFIC_SPLIT, TRAFFIC_TARGET, UDP_ROUTE
from .names import DNS1123_LABEL_MAX, DNS1123_LABEL_PATTERN, DNS1123_SUBDOMAIN_MAX, DNS1123_SUBDOMAIN_PATTERN

# Value types a node can have. "quantity" is a Kubernetes quantity (int or string);
# "string-map" an object whose values are strings (one header filter).
NODE_TYPES = ("object", "array", "string", "integer", "quantity", "string-map")

HTTP_METHODS = ("*", "GET", "HEAD", "PUT", "POST", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH")
IDENTITY_KINDS = ("ServiceAccount",)
SPLIT_MATCH_KINDS = ("HTTPRouteGroup",)
EARLY_RULE_KINDS = ("HTTPRouteGroup", "TCPRoute")
RULE_KINDS = ("HTTPRouteGroup", "TCPRoute", "UDPRoute")

_LABEL = MappingProxyType({"pattern": DNS1123_LABEL_PATTERN, "maxLength": DNS1123_LABEL_MAX})
_SUBDOMAIN = MappingProxyType({"pattern": DNS1123_SUBDOMAIN_PATTERN, "maxLength": DNS1123_SUBDOMAIN_MAX})
_EMPTY: Mapping[str, Any] = MappingProxyType({})


@dataclass(frozen=True, eq=False)
class Node:
    """The description of one value in a document of one kind and version."""

    type: str
    doc: str = ""
    properties: Mapping[str, Node] = field(default_factory=dict)
    required: tuple[str, ...] = ()
    items: Node | None = None
    enum: tuple[str, ...] = ()
    role: str = ""
    strict: Mapping[str, Any] = field(default_factory=dict)
    # Required by the SMI spec text although no published CRD schema requires it.
    spec_required: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.type not in NODE_TYPES:
            raise ValueError(f"unknown node type {self.type!r}")

    def child(self, name: str) -> Node | None:
        return self.properties.get(name)


def obj(
    doc: str = "",
    *,
    required: tuple[str, ...] = (),
    spec_required: tuple[str, ...] = (),
    role: str = "",
    strict: Mapping[str, Any] = _EMPTY,
    **properties: Node,
) -> Node:
    return Node(
        "object",
        doc,
        properties=MappingProxyType(dict(properties)),
        required=required,
        spec_required=spec_required,
        role=role,
        strict=strict,
    )


def array(items: Node, doc: str = "", *, role: str = "", strict: Mapping[str, Any] = _EMPTY) -> Node:
    return Node("array", doc, items=items, role=role, strict=strict)


def string(doc: str = "", *, enum: tuple[str, ...] = (), role: str = "", strict: Mapping[str, Any] = _EMPTY) -> Node:
    return Node("string", doc, enum=enum, role=role, strict=strict)


def integer(doc: str = "", *, role: str = "", strict: Mapping[str, Any] = _EMPTY) -> Node:
    return Node("integer", doc, role=role, strict=strict)


def quantity(doc: str = "", *, role: str = "") -> Node:
    return Node("quantity", doc, role=role)


def string_map(doc: str = "", *, role: str = "") -> Node:
    return Node("string-map", doc, role=role)


def document(*, required: tuple[str, ...] = (), spec_required: tuple[str, ...] = (), **fields: Node) -> Node:
    """The root of a manifest: type meta, object meta and the version's own fields."""
    return obj(
        required=required,
        spec_required=spec_required,
        apiVersion=string("The API group and version of this object."),
        kind=string("The kind of this object."),
        metadata=obj("Standard Kubernetes object metadata.", role="metadata"),
        **fields,
    )


_PORT = MappingProxyType({"minimum": 1, "maximum": 65535})


def _identity(doc: str, *, with_port: bool = False, role: str = "") -> Node:
    properties = {
        "kind": string(
            "Kind of the identity; ServiceAccount is the only kind meshes implement.",
            strict={"enum": list(IDENTITY_KINDS)},
        ),
        "name": string("Name of the ServiceAccount.", strict=_LABEL),
        "namespace": string("Namespace of the ServiceAccount.", strict=_LABEL),
    }
    if with_port:
        properties["port"] = integer("Port of the destination the target is restricted to.", strict=_PORT)
    return obj(doc, required=("name", "kind"), role=role, **properties)


def _rule(kinds: tuple[str, ...]) -> Node:
    return obj(
        "A route (HTTPRouteGroup, TCPRoute...) whose traffic the target allows.",
        required=("name", "kind"),
        kind=string("Kind of the referenced route.", enum=kinds),
        name=string("Name of the referenced route, in the target's namespace.", strict=_SUBDOMAIN),
        matches=array(
            string("Name of one match entry of the referenced HTTPRouteGroup.", strict={"minLength": 1}),
            "Only these match entries of the route; all of them when omitted.",
        ),
    )


def _traffic_split(version: str) -> Node:
    if version == "v1alpha1":
        weight = quantity("Relative weight of this backend, a Kubernetes quantity (500m, 1, 90).", role="weight")
    else:
        weight = integer("Relative weight of this backend.", role="weight", strict={"minimum": 0})
    backend = obj(
        "One backend Service and its relative weight.",
        required=("service", "weight"),
        service=string("Name of the backend Service, in the split's namespace.", strict=_LABEL),
        weight=weight,
    )
    spec_fields: dict[str, Node] = {
        "service": string("The root (apex) Service clients connect to.", role="service", strict=_LABEL),
        "backends": array(backend, "The Services traffic is spread over.", role="backends", strict={"minItems": 1}),
    }
    if version in ("v1alpha3", "v1alpha4"):
        spec_fields["matches"] = array(
            obj(
                "A reference to an HTTPRouteGroup in the split's namespace.",
                required=("kind", "name"),
                kind=string("Kind of the referenced group.", enum=SPLIT_MATCH_KINDS),
                name=string("Name of the referenced group.", strict=_SUBDOMAIN),
            ),
            "Only requests matching these groups are split; others go to the root Service.",
            role="split-matches",
        )
    return document(
        spec_required=("spec",),
        spec=obj("How traffic to the root Service is split.", required=("service", "backends"), **spec_fields),
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


def _http_route_group(version: str) -> Node:
    match_fields: dict[str, Node] = {
        "name": string("Name of the match entry, referenced by TrafficTarget rules.", strict={"minLength": 1}),
        "pathRegex": string("RE2 regular expression over the request path.", role="path-regex"),
        "methods": array(string("An HTTP method, or * for all.", enum=HTTP_METHODS), "HTTP methods matched."),
    }
    if version != "v1alpha1":
        match_fields["headers"] = array(
            string_map("Header name to RE2 value regex; every header of the entry must match."),
            "Header filters of this match entry.",
            role="headers",
        )
    matches = array(
        obj("One HTTP match entry.", required=("name",), **match_fields),
        "Match entries of the group.",
        role="http-matches",
        strict={"minItems": 1},
    )
    if version in ("v1alpha1", "v1alpha2"):
        return document(required=("matches",), matches=matches)
    return document(
        spec_required=("spec",),
        spec=obj("The HTTP match entries of this group.", required=("matches",), matches=matches),
    )


def _port_route(protocol: str, version: str) -> Node:
    if version != "v1alpha4":
        return document(spec=obj(f"{protocol} on every port of the destination; no content in {version}."))
    return document(
        spec_required=("spec",),
        spec=obj(
            f"Which {protocol} traffic the route matches.",
            required=("matches",),
            matches=obj(
                f"{protocol} match conditions.",
                required=("ports",),
                role="port-matches",
                name=string("Name of the match condition.", role="port-match-name"),
                ports=array(
                    integer("A port number.", strict=_PORT),
                    "Destination ports matched; an empty list matches every port.",
                    role="ports",
                    strict={"uniqueItems": True},
                ),
            ),
        ),
    )


SHAPES: dict[tuple[str, str], Node] = {}
for _version in TRAFFIC_SPLIT.versions:
    SHAPES[(TRAFFIC_SPLIT.kind, _version)] = _traffic_split(_version)
for _version in TRAFFIC_TARGET.versions:
    SHAPES[(TRAFFIC_TARGET.kind, _version)] = _traffic_target(_version)
for _version in HTTP_ROUTE_GROUP.versions:
    SHAPES[(HTTP_ROUTE_GROUP.kind, _version)] = _http_route_group(_version)
for _version in TCP_ROUTE.versions:
    SHAPES[(TCP_ROUTE.kind, _version)] = _port_route("TCP", _version)
for _version in UDP_ROUTE.versions:
    SHAPES[(UDP_ROUTE.kind, _version)] = _port_route("UDP", _version)


def shape(kind: str, version: str) -> Node:
    """The description of a kind at a version; KeyError names both when the pair does not exist."""
    try:
        return SHAPES[(kind, version)]
    except KeyError:
        raise KeyError(f"{kind} has no version {version!r}") from None


def walk(node: Node, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Node]]:
    """Every node below `node` with its path; array items appear under the segment `[]`."""
    yield path, node
    for name, child in node.properties.items():
        yield from walk(child, (*path, name))
    if node.items is not None:
        yield from walk(node.items, (*path, "[]"))


@cache
def locate(kind: str, version: str, role: str) -> tuple[str, ...] | None:
    """Where the node playing `role` lives in a version (`("spec", "rules")`), or None if absent."""
    for path, node in walk(shape(kind, version)):
        if node.role == role:
            return path
    return None


@cache
def node_for(kind: str, version: str, role: str) -> Node | None:
    for _path, node in walk(shape(kind, version)):
        if node.role == role:
            return node
    return None


def dotted(path: tuple[str, ...]) -> str:
    """`("spec", "backends", "[]", "weight")` -> `spec.backends[].weight`."""
    text = ""
    for segment in path:
        if segment == "[]":
            text += "[]"
        else:
            text += f".{segment}" if text else segment
    return text
