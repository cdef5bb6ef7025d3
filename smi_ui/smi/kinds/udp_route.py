"""UDPRoute (specs.smi-spec.io): UDP traffic, optionally restricted to ports (v1alpha4)."""

from __future__ import annotations

from dataclasses import dataclass

from ..kindspec import KindSpec, Patch, Published, RouteSpec, Traits
from .port_route import (
    GROUP,
    PortRoute,
    port_route_checks,
    port_route_shape,
    port_route_starter,
    read_port_route,
    write_port_route,
)

VERSIONS = ("v1alpha4",)


@dataclass(kw_only=True)
class UDPRoute(PortRoute):
    """A UDPRoute: `ports` None or empty means every port of the destination."""


_NO_MATCH_NAME = Patch(
    "UDPRoute", ("v1alpha4",), "drop", "spec.matches.name", "the Go type has it, the CRD never declared it"
)

SPEC = KindSpec(
    kind="UDPRoute",
    group=GROUP,
    plural="udproutes",
    singular="udproute",
    short_names=("ur",),
    versions=VERSIONS,
    model=UDPRoute,
    shapes={version: port_route_shape("UDP", version) for version in VERSIONS},
    read=read_port_route,
    write=write_port_route,
    containers=("port-matches",),
    checks=port_route_checks,
    published={"smi-sdk-go": Published(structural=("v1alpha4",), patches=(_NO_MATCH_NAME,))},
    served_in={"smi-sdk-go": ("v1alpha4",)},
    starter=port_route_starter(UDPRoute),
    traits=Traits(route_spec=RouteSpec()),
)
