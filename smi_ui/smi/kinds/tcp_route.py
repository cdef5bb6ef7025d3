"""TCPRoute (specs.smi-spec.io): TCP traffic, optionally restricted to ports (v1alpha4)."""

from __future__ import annotations

from dataclasses import dataclass

from ..kindspec import Published
from .port_route import PortRoute, no_match_name_patch, port_route_spec

VERSIONS = ("v1alpha1", "v1alpha2", "v1alpha3", "v1alpha4")


@dataclass(kw_only=True)
class TCPRoute(PortRoute):
    """A TCPRoute: `ports` None or empty means every port of the destination."""


SPEC = port_route_spec(
    TCPRoute, protocol="TCP", short_name="tr", versions=VERSIONS,
    published={
        "smi-sdk-go": Published(structural=("v1alpha4",), patches=(no_match_name_patch("TCPRoute"),)),
        "osm": Published(structural=("v1alpha4",), patches=(no_match_name_patch("TCPRoute"),)),
        "traefik-mesh": Published(schemaless=("v1alpha1", "v1alpha2", "v1alpha3")),
    },
    served_in={"smi-sdk-go": ("v1alpha4",), "osm": ("v1alpha4",), "traefik-mesh": ("v1alpha3",)},
)
