"""Reading any supported SMI manifest into the model and writing it back into any version.

Writing is an overlay: the document that was read is deep-copied and only the modelled
fields are written onto it, so labels, annotations, ownerReferences, status and fields
nobody models survive at every nesting level, and `serialize(parse(m)) == m` exactly.
A modelled value that did not change keeps its original spelling (`500m` stays `500m`,
a map of headers stays a map). Converting to another version moves the modelled
containers to where that version keeps them (see `shapes`), and refuses with
`NotExpressible` anything the target version cannot say.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from .errors import (
    FieldError,
    InvalidManifest,
    NotAnSMIObject,
    NotExpressible,
    UnsupportedAPIVersion,
    type_name,
)
from .kinds import KINDS, KINDS_BY_NAME, SMI_GROUPS, KindInfo, split_api_version
from .model import (
    MODEL_CLASSES,
    Backend,
    HeaderFilter,
    HeaderShape,
    HTTPMatch,
    HTTPRouteGroup,
    IdentityRef,
    PortRoute,
    RouteGroupRef,
    SMIObject,
    TrafficRule,
    TrafficSplit,
    TrafficTarget,
)
from .quantity import InvalidQuantity, format_quantity, quantity_value
from .shapes import RULE_KINDS, Node, dotted, locate, node_for, shape
from .shares import WeightError, integer_weights

PRE_RELEASE_GROUP = "smi-spec.io"
METRICS_GROUP = "metrics.smi-spec.io"

# Why versions that appear in the wild are not read (anything else in an SMI group is "unknown").
_UNSUPPORTED_VERSIONS: dict[tuple[str, str], str] = {
    (
        "access.smi-spec.io",
        "v1alpha4",
    ): "access v1alpha4 (IdentityBinding) is a spec draft with no CRD and no implementation",
    ("split.smi-spec.io", "v1beta1"): "split v1beta1 is a draft shipped by smi-adapter-istio, never part of SMI",
}

# The modelled containers of each kind, outermost first: what moves when the version changes.
_CONTAINERS: dict[str, tuple[str, ...]] = {
    "TrafficSplit": ("service", "backends", "split-matches"),
    "TrafficTarget": ("destination", "rules", "sources"),
    "HTTPRouteGroup": ("http-matches",),
    "TCPRoute": ("port-matches",),
    "UDPRoute": ("port-matches",),
}


class _Marker:
    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


MISSING: Any = _Marker("MISSING")
_DELETE: Any = _Marker("DELETE")
_SKIP: Any = _Marker("SKIP")


# --- identifying a manifest -----------------------------------------------------------------


def is_smi(manifest: object) -> bool:
    """Whether a manifest claims to be an SMI object (SMI API group, or an SMI kind without a group)."""
    if not isinstance(manifest, dict):
        return False
    api_version, kind = manifest.get("apiVersion"), manifest.get("kind")
    group = split_api_version(api_version)[0] if isinstance(api_version, str) else ""
    if group == PRE_RELEASE_GROUP or group.endswith("." + PRE_RELEASE_GROUP):
        return True
    return not group and isinstance(kind, str) and kind in KINDS_BY_NAME


def resolve(manifest: object) -> tuple[KindInfo, str]:
    """The kind and version of a manifest the model supports.

    Raises InvalidManifest when apiVersion or kind is missing or not a string, and
    UnsupportedAPIVersion (with group, version, kind and the reason) for everything else
    that is not a supported SMI kind/version.
    """
    if not isinstance(manifest, dict):
        raise InvalidManifest([FieldError("", "type", f"a manifest is an object, not {type_name(manifest)}")])
    errors = []
    api_version, kind = manifest.get("apiVersion"), manifest.get("kind")
    for key, value in (("apiVersion", api_version), ("kind", kind)):
        if value is None:
            errors.append(FieldError(key, "required", f"{key} is required"))
        elif not isinstance(value, str):
            errors.append(FieldError(key, "type", f"{key} must be a string, not {type_name(value)}"))
    if errors:
        raise InvalidManifest(errors)
    group, version = split_api_version(api_version)
    if group == PRE_RELEASE_GROUP:
        raise UnsupportedAPIVersion(
            group, version, kind, "the pre-release single `smi-spec.io` group (before May 2019) is not valid SMI"
        )
    if group == METRICS_GROUP:
        raise UnsupportedAPIVersion(group, version, kind, "the metrics API is read-only and aggregated, not a CRD")
    if not group.endswith("." + PRE_RELEASE_GROUP):
        if not group and kind in KINDS_BY_NAME:
            raise UnsupportedAPIVersion(group, version, kind, f"apiVersion {api_version!r} has no API group")
        raise NotAnSMIObject(group, version, kind, "not an SMI API group")
    info = KINDS_BY_NAME.get(kind)
    if info is None or info.group != group:
        if group not in SMI_GROUPS:
            raise UnsupportedAPIVersion(group, version, kind, f"{group} is not an SMI group the model supports")
        defined = ", ".join(k.kind for k in KINDS if k.group == group)
        raise UnsupportedAPIVersion(group, version, kind, f"{group} defines no kind {kind!r} (it defines {defined})")
    if version not in info.versions:
        reason = _UNSUPPORTED_VERSIONS.get(
            (group, version), f"{kind} has no version {version!r} (known: {', '.join(info.versions)})"
        )
        raise UnsupportedAPIVersion(group, version, kind, reason)
    return info, version


def version_of(manifest: dict[str, Any]) -> str:
    """The version of a supported SMI manifest (`v1alpha4`)."""
    return resolve(manifest)[1]


# --- parse ----------------------------------------------------------------------------------


class _Reader:
    """Reads typed values out of a raw document, collecting every type error with its path."""

    def __init__(self, doc: dict[str, Any]) -> None:
        self.doc = doc
        self.errors: list[FieldError] = []

    def error(self, path: str, expected: str, value: Any) -> None:
        self.errors.append(FieldError(path, "type", f"expected {expected}, got {type_name(value)}"))

    def at(self, path: tuple[str, ...] | None) -> Any:
        """The value at a path of the document, MISSING if it (or a parent) is absent or null."""
        if path is None:
            return MISSING
        value: Any = self.doc
        for depth, segment in enumerate(path):
            if value is None:
                return MISSING
            if not isinstance(value, dict):
                self.error(dotted(path[:depth]), "an object", value)
                return MISSING
            value = value.get(segment, MISSING)
            if value is MISSING:
                return MISSING
        return None if value is None else value

    def string(self, value: Any, path: str) -> str | None:
        if value is MISSING or value is None:
            return None
        if not isinstance(value, str):
            self.error(path, "a string", value)
            return None
        return value

    def items(self, value: Any, path: str) -> list[tuple[str, Any]] | None:
        """`[(path_of_item, item), ...]` of a list, None when absent."""
        if value is MISSING or value is None:
            return None
        if not isinstance(value, list):
            self.error(path, "a list", value)
            return None
        for index, item in enumerate(value):
            if item is None:  # null items cannot be modelled (and would be lost on writing)
                self.error(f"{path}[{index}]", "a value", item)
        return [(f"{path}[{index}]", item) for index, item in enumerate(value)]

    def mapping(self, value: Any, path: str) -> dict[str, Any] | None:
        if value is MISSING or value is None:
            return None
        if not isinstance(value, dict):
            self.error(path, "an object", value)
            return None
        return value

    def strings(self, value: Any, path: str) -> list[str] | None:
        items = self.items(value, path)
        if items is None:
            return None
        return [text for item_path, item in items if (text := self.string(item, item_path)) is not None]

    def integer(self, value: Any, path: str) -> int | None:
        if value is MISSING or value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.error(path, "an integer", value)
            return None
        if isinstance(value, float) and not (math.isfinite(value) and value.is_integer()):
            self.error(path, "an integer", value)
            return None
        return int(value)

    def weight(self, value: Any, path: str, version: str) -> Fraction | None:
        if value is MISSING or value is None:
            return None
        if version == "v1alpha1":
            try:
                return quantity_value(value)
            except InvalidQuantity as error:
                self.errors.append(FieldError(path, "invalid-quantity", error.reason))
                return None
        if isinstance(value, bool) or not is_finite_number(value):
            self.error(path, "a number", value)
            return None
        return _exact(value)


def is_finite_number(value: Any) -> bool:
    """An int (of any size: `math.isfinite` overflows on huge ones) or a finite float."""
    return isinstance(value, int) or (isinstance(value, float) and math.isfinite(value))


def parse(manifest: dict[str, Any]) -> SMIObject:
    """The model object of a manifest of any supported kind and version.

    Raises UnsupportedAPIVersion for what the model does not read, and InvalidManifest
    (listing every problem with its path) when a modelled field has the wrong type.
    Missing fields are not errors here: they are None in the model, and `validate` reports them.
    """
    info, version = resolve(manifest)
    reader = _Reader(manifest)
    metadata = reader.mapping(manifest.get("metadata", MISSING), "metadata")
    read = _READERS[info.kind]
    fields = read(reader, info.kind, version)
    if reader.errors:
        raise InvalidManifest(reader.errors)
    cls = MODEL_CLASSES[info.kind]
    return cls(version=version, metadata=copy.deepcopy(metadata), source=copy.deepcopy(manifest), **fields)


def _read_split(r: _Reader, kind: str, version: str) -> dict[str, Any]:
    service_path = locate(kind, version, "service")
    backends_path = locate(kind, version, "backends")
    fields: dict[str, Any] = {"service": r.string(r.at(service_path), dotted(service_path))}
    items = r.items(r.at(backends_path), dotted(backends_path))
    if items is not None:
        fields["backends"] = []
        for path, item in items:
            if (entry := r.mapping(item, path)) is not None:
                fields["backends"].append(
                    Backend(
                        service=r.string(entry.get("service", MISSING), f"{path}.service"),
                        weight=r.weight(entry.get("weight", MISSING), f"{path}.weight", version),
                    )
                )
    matches_path = locate(kind, version, "split-matches")
    items = r.items(r.at(matches_path), dotted(matches_path or ()))
    if items is not None:
        fields["matches"] = [
            RouteGroupRef(
                kind=r.string(entry.get("kind", MISSING), f"{path}.kind"),
                name=r.string(entry.get("name", MISSING), f"{path}.name"),
            )
            for path, item in items
            if (entry := r.mapping(item, path)) is not None
        ]
    return fields


def _read_identity(r: _Reader, value: Any, path: str, with_port: bool) -> IdentityRef | None:
    entry = r.mapping(value, path)
    if entry is None:
        return None
    return IdentityRef(
        kind=r.string(entry.get("kind", MISSING), f"{path}.kind"),
        name=r.string(entry.get("name", MISSING), f"{path}.name"),
        namespace=r.string(entry.get("namespace", MISSING), f"{path}.namespace"),
        port=r.integer(entry.get("port", MISSING), f"{path}.port") if with_port else None,
    )


def _read_target(r: _Reader, kind: str, version: str) -> dict[str, Any]:
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


def _read_headers(r: _Reader, value: Any, path: str) -> tuple[list[HeaderFilter] | None, HeaderShape | None]:
    if value is MISSING or value is None:
        return None, None
    if isinstance(value, dict):
        return _header_pairs(r, value, path), "map"
    filters: list[HeaderFilter] = []
    for item_path, item in r.items(value, path) or []:
        if (entry := r.mapping(item, item_path)) is not None:
            filters.extend(_header_pairs(r, entry, item_path))
    return (filters, "list") if isinstance(value, list) else (None, None)


def _header_pairs(r: _Reader, entry: dict[Any, Any], path: str) -> list[HeaderFilter]:
    pairs = []
    for name, value in entry.items():
        if not isinstance(name, str):
            r.error(path, "header names that are strings", name)
        elif not isinstance(value, str):
            r.error(f"{path}[{name}]", "a string (a regular expression)", value)
        else:
            pairs.append(HeaderFilter(name, value))
    return pairs


def _read_route_group(r: _Reader, kind: str, version: str) -> dict[str, Any]:
    matches_path = locate(kind, version, "http-matches")
    with_headers = node_for(kind, version, "headers") is not None
    items = r.items(r.at(matches_path), dotted(matches_path))
    if items is None:
        return {}
    matches = []
    for path, item in items:
        entry = r.mapping(item, path)
        if entry is None:
            continue
        headers, header_shape = (
            _read_headers(r, entry.get("headers", MISSING), f"{path}.headers") if with_headers else (None, None)
        )
        matches.append(
            HTTPMatch(
                name=r.string(entry.get("name", MISSING), f"{path}.name"),
                path_regex=r.string(entry.get("pathRegex", MISSING), f"{path}.pathRegex"),
                methods=r.strings(entry.get("methods", MISSING), f"{path}.methods"),
                headers=headers,
                header_shape=header_shape,
            )
        )
    return {"matches": matches}


def _read_port_route(r: _Reader, kind: str, version: str) -> dict[str, Any]:
    matches_path = locate(kind, version, "port-matches")
    if matches_path is None:
        return {}
    entry = r.mapping(r.at(matches_path), dotted(matches_path))
    if entry is None:
        return {}
    path = dotted(matches_path)
    ports = None
    items = r.items(entry.get("ports", MISSING), f"{path}.ports")
    if items is not None:
        ports = [port for item_path, item in items if (port := r.integer(item, item_path)) is not None]
    return {"ports": ports, "match_name": r.string(entry.get("name", MISSING), f"{path}.name")}


_READERS: dict[str, Callable[[_Reader, str, str], dict[str, Any]]] = {
    "TrafficSplit": _read_split,
    "TrafficTarget": _read_target,
    "HTTPRouteGroup": _read_route_group,
    "TCPRoute": _read_port_route,
    "UDPRoute": _read_port_route,
}


# --- serialize ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Resolve:
    """A value decided against the original node (to keep its spelling when unchanged)."""

    decide: Callable[[Any], Any]


@dataclass(frozen=True)
class _Opaque:
    """A value written as a whole (metadata): the model holds all of it."""

    value: Any


def serialize(obj: SMIObject, version: str | None = None, *, header_shape: HeaderShape | None = None) -> dict[str, Any]:
    """The manifest of `obj` in `version` (default: the version it was read from).

    Raises NotExpressible naming the field and the version when the target version cannot
    hold something the object has. HTTPRouteGroup headers keep the shape they were read in
    when written back to the same version, and are otherwise written as a list of maps, the
    shape every published CRD schema accepts; `header_shape` forces one or the other.
    """
    info = obj.INFO
    target = version or obj.version
    if target not in info.versions:
        raise UnsupportedAPIVersion(info.group, target, info.kind, f"{info.kind} has no version {target!r}")
    fragment: dict[str, Any] = {
        "apiVersion": info.api_version(target),
        "kind": info.kind,
        "metadata": _Opaque(obj.metadata) if obj.metadata is not None else _DELETE,
    }
    _FRAGMENTS[info.kind](obj, target, fragment, header_shape)
    document = copy.deepcopy(obj.source) if isinstance(obj.source, dict) else {}
    if target != obj.version:
        _relocate(document, info.kind, obj.version, target)
    result = _overlay(document, fragment)
    return result if isinstance(result, dict) else {}


def _put(fragment: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    node = fragment
    for segment in path[:-1]:
        node = node.setdefault(segment, {})
    node[path[-1]] = value


def _source_path(obj: SMIObject, role: str) -> str:
    """Where a modelled value lives in the object's own version (or in the latest, if not there)."""
    path = locate(obj.kind, obj.version, role) or locate(obj.kind, obj.INFO.latest_version, role)
    return dotted(path or (role,))


def _optional(
    entry: dict[str, Any], key: str, value: Any, *, in_target: bool, in_source: bool, field: str, target: str
) -> None:
    """Write a field the target may lack: refuse a value it cannot hold, drop an empty leftover."""
    if in_target:
        entry[key] = _DELETE if value is None else value
    elif value not in (None, []):
        raise NotExpressible(field, target, f"{target} has no field for it")
    elif in_source:
        entry[key] = _DELETE


def _split_fragment(obj: TrafficSplit, target: str, fragment: dict[str, Any], _shape: HeaderShape | None) -> None:
    kind = obj.kind
    _put(fragment, locate(kind, target, "service"), _DELETE if obj.service is None else obj.service)
    backends_path = locate(kind, target, "backends")
    if obj.backends is None:
        _put(fragment, backends_path, _DELETE)
    else:
        weights = _target_weights(obj, target)
        _put(
            fragment,
            backends_path,
            [
                {
                    "service": _DELETE if backend.service is None else backend.service,
                    "weight": _DELETE
                    if weight is None
                    else _weight_resolver(weight, target, f"{_source_path(obj, 'backends')}[{i}].weight"),
                }
                for i, (backend, weight) in enumerate(zip(obj.backends, weights, strict=True))
            ],
        )
    matches_path = locate(kind, target, "split-matches")
    matches = None
    if obj.matches is not None:
        matches = [
            {"kind": _DELETE if m.kind is None else m.kind, "name": _DELETE if m.name is None else m.name}
            for m in obj.matches
        ]
    if matches_path is not None:
        _put(fragment, matches_path, _DELETE if matches is None else matches)
    elif matches:
        raise NotExpressible(
            _source_path(obj, "split-matches"),
            target,
            f"TrafficSplit {target} cannot restrict a split to HTTPRouteGroups (v1alpha3+)",
        )


def _target_weights(obj: TrafficSplit, target: str) -> list[Fraction | None]:
    """Weights in the target's units: integer versions get exact integer ratios when converting."""
    weights = [backend.weight for backend in obj.backends or []]
    present = [weight for weight in weights if weight is not None]
    if target == "v1alpha1" or target == obj.version or all(w.denominator == 1 for w in present):
        return weights
    try:
        scaled = iter(integer_weights(present))
    except WeightError as error:
        raise NotExpressible(f"{_source_path(obj, 'backends')}[].weight", target, str(error)) from None
    return [None if weight is None else Fraction(next(scaled)) for weight in weights]


def _weight_resolver(weight: Fraction, target: str, field: str) -> _Resolve:
    def decide(original: Any) -> Any:
        if original is not MISSING and original is not None and not isinstance(original, bool):
            if target == "v1alpha1" and isinstance(original, int | float | str):
                try:
                    if quantity_value(original) == weight:
                        return original
                except InvalidQuantity:
                    pass
            elif is_finite_number(original) and _exact(original) == weight:
                return original
        if weight.denominator == 1:
            return int(weight)
        if target != "v1alpha1":
            raise NotExpressible(field, target, f"{target} weights are integers, got {weight}")
        try:
            return format_quantity(weight)
        except InvalidQuantity as error:
            raise NotExpressible(field, target, error.reason) from None

    return _Resolve(decide)


def _identity_fragment(
    identity: IdentityRef, target_node: Node, source_node: Node, target: str, field: str
) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "kind": _DELETE if identity.kind is None else identity.kind,
        "name": _DELETE if identity.name is None else identity.name,
        "namespace": _DELETE if identity.namespace is None else identity.namespace,
    }
    _optional(
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
        _put(fragment, destination_path, _DELETE)
    else:
        _put(
            fragment,
            destination_path,
            _identity_fragment(
                obj.destination,
                node_for(kind, target, "destination"),
                node_for(kind, obj.version, "destination"),
                target,
                _source_path(obj, "destination"),
            ),
        )
    rules_path = locate(kind, target, "rules")
    allowed = node_for(kind, target, "rules").items.child("kind").enum
    if obj.rules is None:
        _put(fragment, rules_path, _DELETE)
    else:
        rules = []
        for index, rule in enumerate(obj.rules):
            if rule.kind in RULE_KINDS and rule.kind not in allowed:
                raise NotExpressible(
                    f"{_source_path(obj, 'rules')}[{index}].kind",
                    target,
                    f"{rule.kind} rules need access v1alpha3; {target} allows only {', '.join(allowed)}",
                )
            rules.append(
                {
                    "kind": _DELETE if rule.kind is None else rule.kind,
                    "name": _DELETE if rule.name is None else rule.name,
                    "matches": _DELETE if rule.matches is None else list(rule.matches),
                }
            )
        _put(fragment, rules_path, rules)
    sources_path = locate(kind, target, "sources")
    if obj.sources is None:
        _put(fragment, sources_path, _DELETE)
    else:
        source_node = node_for(kind, target, "sources").items
        _put(
            fragment,
            sources_path,
            [
                _identity_fragment(source, source_node, source_node, target, f"{_source_path(obj, 'sources')}[{i}]")
                for i, source in enumerate(obj.sources)
            ],
        )


def _route_group_fragment(
    obj: HTTPRouteGroup, target: str, fragment: dict[str, Any], header_shape: HeaderShape | None
) -> None:
    kind = obj.kind
    matches_path = locate(kind, target, "http-matches")
    if obj.matches is None:
        _put(fragment, matches_path, _DELETE)
        return
    in_target = node_for(kind, target, "headers") is not None
    in_source = node_for(kind, obj.version, "headers") is not None
    entries = []
    for index, match in enumerate(obj.matches):
        field = f"{_source_path(obj, 'http-matches')}[{index}]"
        entry: dict[str, Any] = {
            "name": _DELETE if match.name is None else match.name,
            "pathRegex": _DELETE if match.path_regex is None else match.path_regex,
            "methods": _DELETE if match.methods is None else list(match.methods),
        }
        shape_out = header_shape or (match.header_shape if target == obj.version else None) or "list"
        headers = (
            None if match.headers is None else _headers_resolver(match.headers, shape_out, f"{field}.headers", target)
        )
        if in_target:
            entry["headers"] = _DELETE if headers is None else headers
        elif match.headers:
            raise NotExpressible(
                f"{field}.headers", target, f"HTTPRouteGroup {target} has no header filters (v1alpha2+)"
            )
        elif in_source:
            entry["headers"] = _DELETE
        entries.append(entry)
    _put(fragment, matches_path, entries)


def _headers_resolver(filters: list[HeaderFilter], shape_out: HeaderShape, field: str, target: str) -> _Resolve:
    def decide(original: Any) -> Any:
        reader = _Reader({})
        if original is not MISSING and original is not None:
            pairs, original_shape = _read_headers(reader, original, field)
            if not reader.errors and pairs == filters and original_shape == shape_out:
                return original
        if shape_out == "list":
            return [{f.name: f.value} for f in filters]
        names = [f.name for f in filters]
        if len(set(names)) != len(names):
            raise NotExpressible(field, target, "a map of headers cannot hold the same header twice")
        return {f.name: f.value for f in filters}

    return _Resolve(decide)


def _port_route_fragment(obj: PortRoute, target: str, fragment: dict[str, Any], _shape: HeaderShape | None) -> None:
    kind = obj.kind
    matches_path = locate(kind, target, "port-matches")
    if matches_path is None:
        if obj.ports:
            raise NotExpressible(
                f"{_source_path(obj, 'port-matches')}.ports",
                target,
                f"{kind} {target} cannot restrict ports (v1alpha4+)",
            )
        if obj.match_name is not None:
            raise NotExpressible(
                f"{_source_path(obj, 'port-matches')}.name", target, f"{kind} {target} has no match conditions"
            )
        return
    ports: Any = _DELETE if obj.ports is None else list(obj.ports)
    if obj.ports is None and obj.version != target:
        ports = []  # every port, as in the versions without ports; the CRD requires the list
    entry = {"name": _DELETE if obj.match_name is None else obj.match_name, "ports": ports}
    _put(fragment, matches_path, entry)


_FRAGMENTS: dict[str, Callable[[Any, str, dict[str, Any], HeaderShape | None], None]] = {
    "TrafficSplit": _split_fragment,
    "TrafficTarget": _target_fragment,
    "HTTPRouteGroup": _route_group_fragment,
    "TCPRoute": _port_route_fragment,
    "UDPRoute": _port_route_fragment,
}


def _relocate(document: dict[str, Any], kind: str, source: str, target: str) -> None:
    """Move the modelled containers from where `source` keeps them to where `target` does."""
    moved: list[tuple[tuple[str, ...], Any]] = []
    for role in _CONTAINERS[kind]:
        old, new = locate(kind, source, role), locate(kind, target, role)
        if old is None or old == new:
            continue
        node = _pop(document, old, kind, target)
        if new is not None and node is not MISSING:
            moved.append((new, node))
    for path, node in moved:
        parent = document
        for segment in path[:-1]:
            child = parent.get(segment)
            if not isinstance(child, dict):
                child = parent[segment] = {}
            parent = child
        parent[path[-1]] = node


def _pop(document: dict[str, Any], path: tuple[str, ...], kind: str, target: str) -> Any:
    parents = [document]
    for segment in path[:-1]:
        child = parents[-1].get(segment)
        if not isinstance(child, dict):
            return MISSING
        parents.append(child)
    node = parents[-1].pop(path[-1], MISSING)
    # Drop containers left empty that the target version does not have (`spec` of v1alpha1).
    for depth in range(len(path) - 1, 0, -1):
        if parents[depth] or _declares(kind, target, path[:depth]):
            break
        del parents[depth - 1][path[depth - 1]]
    return node


def _declares(kind: str, version: str, path: tuple[str, ...]) -> bool:
    node: Node | None = shape(kind, version)
    for segment in path:
        node = node.child(segment) if node is not None else None
    return node is not None


def _overlay(original: Any, new: Any) -> Any:
    if isinstance(new, _Resolve):
        return new.decide(original)
    if isinstance(new, _Opaque):
        return copy.deepcopy(new.value)
    if isinstance(new, dict):
        base = dict(original) if isinstance(original, dict) else {}
        added = False
        for key, value in new.items():
            current = base.get(key, MISSING)
            if value is _DELETE:
                if current is not MISSING and current is not None:
                    del base[key]
                continue
            result = _overlay(current, value)
            if result is not _SKIP:
                base[key] = result
                added = True
        if not isinstance(original, dict) and not added:
            return _SKIP if original is MISSING else original
        return base
    if isinstance(new, list):
        originals = original if isinstance(original, list) else []
        out = []
        for old, item in zip(_pair(originals, new), new, strict=True):
            result = _overlay(old, item)
            out.append({} if result is _SKIP else result)
        return out
    return original if _same_scalar(original, new) else new


def _pair(originals: list[Any], new: list[Any]) -> list[Any]:
    """For each new list item, the original item it replaces: same name/service, else same index."""
    used: set[int] = set()
    paired: list[Any] = [MISSING] * len(new)
    for index, item in enumerate(new):
        key = _identity_key(item)
        if key is None:
            continue
        for candidate, old in enumerate(originals):
            if candidate not in used and isinstance(old, dict) and key in old.items():
                paired[index] = old
                used.add(candidate)
                break
    for index, item in enumerate(new):
        if paired[index] is MISSING and index < len(originals) and index not in used:
            if _identity_key(item) is None or not isinstance(originals[index], dict):
                paired[index] = originals[index]
                used.add(index)
    return paired


def _identity_key(item: Any) -> tuple[str, str] | None:
    if isinstance(item, dict):
        for key in ("service", "name"):
            if isinstance(item.get(key), str):
                return key, item[key]
    return None


def _same_scalar(original: Any, new: Any) -> bool:
    if original is MISSING or isinstance(original, bool) != isinstance(new, bool):
        return False
    if isinstance(original, int | float) and isinstance(new, int | float):
        return original == new
    return type(original) is type(new) and original == new


def _exact(number: int | float) -> Fraction:
    return Fraction(number) if isinstance(number, int) else Fraction(Decimal(repr(number)))
