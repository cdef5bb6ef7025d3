"""A toy kind in a toy group, written the way a real kind module is (see docs/architecture.md).

`Rollout` (rollouts.toys.example/v1) spreads a Service's traffic over weighted backends, so it
has the weighted-backends and edge-source traits. Tests register it for the duration of a
block with `REGISTRY.including(SPEC)`; nothing else in the project knows it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Any

from smi_ui.smi.checking import check_label, dicts, get
from smi_ui.smi.codec_parts import DELETE, MISSING, Reader, put
from smi_ui.smi.errors import FieldError
from smi_ui.smi.kindspec import EdgeSource, KindSpec, Published, Traits, WeightedBackends, WeightGroup
from smi_ui.smi.model import Backend, HeaderShape, SMIObject
from smi_ui.smi.shapes import LABEL, Node, array, document, dotted, integer, locate, obj, string

GROUP = "rollouts.toys.example"
VERSIONS = ("v1",)


@dataclass(kw_only=True)
class Rollout(SMIObject):
    service: str | None = None
    backends: list[Backend] | None = None


def _shape(version: str) -> Node:
    backend = obj("A backend and its weight.", required=("service", "weight"),
                  service=string("The backend Service.", strict=LABEL),
                  weight=integer("Relative weight.", role="weight", strict={"minimum": 0}))
    return document(spec=obj("The rollout.", required=("service", "backends"),
                             service=string("The root Service.", role="service", strict=LABEL),
                             backends=array(backend, "Weighted backends.", role="backends")))


def _read(r: Reader, kind: str, version: str) -> dict[str, Any]:
    service_path, backends_path = locate(kind, version, "service"), locate(kind, version, "backends")
    fields: dict[str, Any] = {"service": r.string(r.at(service_path), dotted(service_path))}
    items = r.items(r.at(backends_path), dotted(backends_path))
    if items is not None:
        fields["backends"] = [
            Backend(service=r.string(entry.get("service", MISSING), f"{path}.service"),
                    weight=r.weight(entry.get("weight", MISSING), f"{path}.weight", version))
            for path, item in items if (entry := r.mapping(item, path)) is not None
        ]
    return fields


def _write(rollout: Rollout, target: str, fragment: dict[str, Any], _shape: HeaderShape | None) -> None:
    put(fragment, locate(rollout.kind, target, "service"), DELETE if rollout.service is None else rollout.service)
    put(fragment, locate(rollout.kind, target, "backends"), DELETE if rollout.backends is None else [
        {"service": b.service, "weight": DELETE if b.weight is None else int(b.weight)} for b in rollout.backends])


def _checks(manifest: dict[str, Any], version: str) -> list[FieldError]:
    errors: list[FieldError] = []
    for path, backend in dicts(get(manifest, "spec", "backends"), "spec.backends"):
        check_label(errors, backend.get("service"), f"{path}.service", "backend Service")
    return errors


def _groups(rollout: Rollout) -> list[WeightGroup]:
    backends = rollout.backends or []
    return [WeightGroup("backends", tuple(b.service for b in backends), tuple(b.weight for b in backends))]


def _with_weights(rollout: Rollout, key: str, weights: Sequence[Fraction | None]) -> Rollout:
    return replace(rollout, backends=[Backend(service=b.service, weight=w)
                                      for b, w in zip(rollout.backends or [], weights, strict=True)])


def _edges(normalized: Mapping[str, Any]) -> list[tuple[str, str, Any]]:
    root = str(normalized.get("service") or "?")
    return [(root, str(b.get("service") or "?"), b.get("service")) for b in normalized.get("backends") or []]


SPEC = KindSpec(
    kind="Rollout", group=GROUP, plural="rollouts", singular="rollout", short_names=("ro",), versions=VERSIONS,
    model=Rollout, shapes={version: _shape(version) for version in VERSIONS},
    read=_read, write=_write, containers=("service", "backends"), checks=_checks,
    published={"smi-sdk-go": Published(structural=VERSIONS)},
    served_in={"smi-sdk-go": VERSIONS},
    traits=Traits(weighted=WeightedBackends(groups=_groups, with_weights=_with_weights, root=lambda r: r.service),
                  edge_source=EdgeSource(edges=_edges)),
)
