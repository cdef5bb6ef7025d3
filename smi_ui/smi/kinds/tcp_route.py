"""TCPRoute (specs.smi-spec.io): TCP traffic, optionally restricted to ports (v1alpha4)."""

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

VERSIONS = ("v1alpha1", "v1alpha2", "v1alpha3", "v1alpha4")


@dataclass(kw_only=True)
class TCPRoute(PortRoute):
    """A TCPRoute: `ports` None or empty means every port of the destination."""


_NO_MATCH_NAME = Patch(
    "TCPRoute", ("v1alpha4",), "drop", "spec.matches.name", "the Go type has it, the CRD never declared it"
)

SPEC = KindSpec(
    kind="TCPRoute",
    group=GROUP,
    plural="tcproutes",
    singular="tcproute",
    short_names=("tr",),
    versions=VERSIONS,
    model=TCPRoute,
    shapes={version: port_route_shape("TCP", version) for version in VERSIONS},
    read=read_port_route,
    write=write_port_route,
    containers=("port-matches",),
    checks=port_route_checks,
    published={
        "smi-sdk-go": Published(structural=("v1alpha4",), patches=(_NO_MATCH_NAME,)),
        "osm": Published(structural=("v1alpha4",), patches=(_NO_MATCH_NAME,)),
        "traefik-mesh": Published(schemaless=("v1alpha1", "v1alpha2", "v1alpha3")),
    },
    served_in={"smi-sdk-go": ("v1alpha4",), "osm": ("v1alpha4",), "traefik-mesh": ("v1alpha3",)},
    starter=port_route_starter(TCPRoute),
    traits=Traits(route_spec=RouteSpec()),
)
