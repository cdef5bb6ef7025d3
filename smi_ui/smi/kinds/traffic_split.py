"""TrafficSplit (split.smi-spec.io): a root Service whose traffic is spread over weighted backends."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Any

from ..checking import check_label, check_subdomain, dicts, duplicates, get
from ..codec_parts import DELETE, MISSING, Reader, Resolve, exact, is_finite_number, put, source_path
from ..errors import FieldError, NotExpressible
from ..kindspec import EdgeSource, KindSpec, Patch, Published, Traits, WeightedBackends, WeightGroup
from ..model import Backend, HeaderShape, SMIObject
from ..quantity import InvalidQuantity, format_quantity, quantity_value
from ..shapes import (
    LABEL,
    SUBDOMAIN,
    Node,
    array,
    document,
    dotted,
    integer,
    locate,
    obj,
    quantity,
    string,
)
from ..shares import WeightError, integer_weights

GROUP = "split.smi-spec.io"
VERSIONS = ("v1alpha1", "v1alpha2", "v1alpha3", "v1alpha4")
SPLIT_MATCH_KINDS = ("HTTPRouteGroup",)


# --- model -------------------------------------------------------------------------------


@dataclass(kw_only=True)
class RouteGroupRef:
    """A TrafficSplit `matches` entry: an HTTPRouteGroup in the split's namespace."""

    name: str | None = None
    kind: str | None = "HTTPRouteGroup"


@dataclass(kw_only=True)
class TrafficSplit(SMIObject):
    service: str | None = None
    backends: list[Backend] | None = None
    matches: list[RouteGroupRef] | None = None


# --- shapes ------------------------------------------------------------------------------


def _traffic_split(version: str) -> Node:
    if version == "v1alpha1":
        weight = quantity("Relative weight of this backend, a Kubernetes quantity (500m, 1, 90).", role="weight")
    else:
        weight = integer("Relative weight of this backend.", role="weight", strict={"minimum": 0})
    backend = obj(
        "One backend Service and its relative weight.",
        required=("service", "weight"),
        service=string("Name of the backend Service, in the split's namespace.", strict=LABEL),
        weight=weight,
    )
    spec_fields: dict[str, Node] = {
        "service": string("The root (apex) Service clients connect to.", role="service", strict=LABEL),
        "backends": array(backend, "The Services traffic is spread over.", role="backends", strict={"minItems": 1}),
    }
    if version in ("v1alpha3", "v1alpha4"):
        spec_fields["matches"] = array(
            obj(
                "A reference to an HTTPRouteGroup in the split's namespace.",
                required=("kind", "name"),
                kind=string("Kind of the referenced group.", enum=SPLIT_MATCH_KINDS),
                name=string("Name of the referenced group.", strict=SUBDOMAIN),
            ),
            "Only requests matching these groups are split; others go to the root Service.",
            role="split-matches",
        )
    return document(
        spec_required=("spec",),
        spec=obj("How traffic to the root Service is split.", required=("service", "backends"), **spec_fields),
    )


# --- read and write ----------------------------------------------------------------------


def _read_split(r: Reader, kind: str, version: str) -> dict[str, Any]:
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


def _split_fragment(obj: TrafficSplit, target: str, fragment: dict[str, Any], _shape: HeaderShape | None) -> None:
    kind = obj.kind
    put(fragment, locate(kind, target, "service"), DELETE if obj.service is None else obj.service)
    backends_path = locate(kind, target, "backends")
    if obj.backends is None:
        put(fragment, backends_path, DELETE)
    else:
        weights = _target_weights(obj, target)
        put(
            fragment,
            backends_path,
            [
                {
                    "service": DELETE if backend.service is None else backend.service,
                    "weight": DELETE
                    if weight is None
                    else _weight_resolver(weight, target, f"{source_path(obj, 'backends')}[{i}].weight"),
                }
                for i, (backend, weight) in enumerate(zip(obj.backends, weights, strict=True))
            ],
        )
    matches_path = locate(kind, target, "split-matches")
    matches = None
    if obj.matches is not None:
        matches = [
            {"kind": DELETE if m.kind is None else m.kind, "name": DELETE if m.name is None else m.name}
            for m in obj.matches
        ]
    if matches_path is not None:
        put(fragment, matches_path, DELETE if matches is None else matches)
    elif matches:
        raise NotExpressible(
            source_path(obj, "split-matches"),
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
        raise NotExpressible(f"{source_path(obj, 'backends')}[].weight", target, str(error)) from None
    return [None if weight is None else Fraction(next(scaled)) for weight in weights]


def _weight_resolver(weight: Fraction, target: str, field: str) -> Resolve:
    def decide(original: Any) -> Any:
        if original is not MISSING and original is not None and not isinstance(original, bool):
            if target == "v1alpha1" and isinstance(original, int | float | str):
                try:
                    if quantity_value(original) == weight:
                        return original
                except InvalidQuantity:
                    pass
            elif is_finite_number(original) and exact(original) == weight:
                return original
        if weight.denominator == 1:
            return int(weight)
        if target != "v1alpha1":
            raise NotExpressible(field, target, f"{target} weights are integers, got {weight}")
        try:
            return format_quantity(weight)
        except InvalidQuantity as error:
            raise NotExpressible(field, target, error.reason) from None

    return Resolve(decide)


# --- checks ------------------------------------------------------------------------------


def _split_checks(manifest: dict[str, Any], version: str) -> list[FieldError]:
    errors: list[FieldError] = []
    spec = get(manifest, "spec")
    check_label(errors, get(spec, "service"), "spec.service", "root Service")
    backends = get(spec, "backends")
    if isinstance(backends, list) and not backends:
        errors.append(FieldError("spec.backends", "empty", "a split needs at least one backend"))
    weights: list[Fraction] = []
    services: list[tuple[str, Any]] = []
    for path, backend in dicts(backends, "spec.backends"):
        service = backend.get("service")
        check_label(errors, service, f"{path}.service", "backend Service")
        if isinstance(service, str):
            services.append((f"{path}.service", service))
        weight = _weight_value(backend.get("weight"), version)
        if weight is not None:
            weights.append(weight)
            if weight < 0:
                errors.append(FieldError(f"{path}.weight", "weight-negative", "weights must not be negative"))
    duplicates(errors, services, "backend")
    if isinstance(backends, list) and backends and len(weights) == len(backends) and not any(weights):
        errors.append(FieldError("spec.backends", "weights-all-zero", "all weights are zero: no traffic goes anywhere"))
    for path, match in dicts(get(spec, "matches"), "spec.matches"):
        check_subdomain(errors, match.get("name"), f"{path}.name", "HTTPRouteGroup name")
    return errors


def _weight_value(value: Any, version: str) -> Fraction | None:
    if isinstance(value, bool) or value is None:
        return None
    if version == "v1alpha1":
        try:
            return quantity_value(value)
        except InvalidQuantity:
            return None
    if is_finite_number(value):
        return Fraction(value)
    return None


# --- publishers --------------------------------------------------------------------------


_WEIGHT_NUMBER = Patch(
    "TrafficSplit", ("v1alpha2", "v1alpha3", "v1alpha4"), "retype", "spec.backends[].weight",
    "the CRD types weights `number` although the Go field is an int; 12.5 passes the apiserver", "number",
)  # fmt: skip


# --- traits ------------------------------------------------------------------------------


def _weight_groups(split: TrafficSplit) -> list[WeightGroup]:
    backends = split.backends or []
    return [WeightGroup("backends", tuple(b.service for b in backends), tuple(b.weight for b in backends))]


def _with_weights(split: TrafficSplit, key: str, weights: Sequence[Fraction | None]) -> TrafficSplit:
    if key != "backends":
        raise KeyError(f"a TrafficSplit has one weight group, 'backends', not {key!r}")
    backends = split.backends or []
    if len(weights) != len(backends):
        raise ValueError(f"{len(weights)} weights for {len(backends)} backends")
    new = [Backend(service=backend.service, weight=weight) for backend, weight in zip(backends, weights, strict=True)]
    return replace(split, backends=new)


def _edges(normalized: Mapping[str, Any]) -> list[tuple[str, str, Any]]:
    """Root Service -> each backend ("?" where a name is missing), with the backend's own service field."""
    root = str(normalized.get("service") or "?")
    return [
        (root, str(backend.get("service") or "?"), backend.get("service"))
        for backend in normalized.get("backends") or []
        if isinstance(backend, dict)
    ]


def _starter(version: str, namespace: str) -> TrafficSplit:
    backends = [Backend(service="", weight=Fraction(50)), Backend(service="", weight=Fraction(50))]
    return TrafficSplit(version=version, metadata={"name": "", "namespace": namespace}, service="", backends=backends)


SPEC = KindSpec(
    kind="TrafficSplit",
    group=GROUP,
    plural="trafficsplits",
    singular="trafficsplit",
    short_names=("ts",),
    versions=VERSIONS,
    model=TrafficSplit,
    shapes={version: _traffic_split(version) for version in VERSIONS},
    read=_read_split,
    write=_split_fragment,
    containers=("service", "backends", "split-matches"),
    checks=_split_checks,
    unsupported_versions={"v1beta1": "split v1beta1 is a draft shipped by smi-adapter-istio, never part of SMI"},
    published={
        "smi-sdk-go": Published(structural=("v1alpha2", "v1alpha3", "v1alpha4"), patches=(_WEIGHT_NUMBER,)),
        "osm": Published(structural=("v1alpha2", "v1alpha3", "v1alpha4"), patches=(_WEIGHT_NUMBER,)),
        "linkerd-smi": Published(structural=("v1alpha1", "v1alpha2"), patches=(_WEIGHT_NUMBER,)),
        "traefik-mesh": Published(
            structural=("v1alpha3",), schemaless=("v1alpha1", "v1alpha2"), patches=(_WEIGHT_NUMBER,)
        ),
    },
    served_in={
        "smi-sdk-go": ("v1alpha4",),
        "osm": ("v1alpha2",),
        "linkerd-smi": ("v1alpha1", "v1alpha2"),
        "traefik-mesh": ("v1alpha3",),
    },
    starter=_starter,
    printer_columns=(
        {"name": "Service", "type": "string", "description": "The apex service of this split.",
         "jsonPath": ".spec.service"},
    ),
    traits=Traits(
        weighted=WeightedBackends(groups=_weight_groups, with_weights=_with_weights, root=lambda split: split.service),
        edge_source=EdgeSource(edges=_edges),
    ),
)
