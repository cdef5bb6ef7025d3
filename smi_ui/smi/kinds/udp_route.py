"""UDPRoute (specs.smi-spec.io): UDP traffic, optionally restricted to ports (v1alpha4)."""

from __future__ import annotations

from dataclasses import dataclass

from ..kindspec import Published
from .port_route import PortRoute, no_match_name_patch, port_route_spec

VERSIONS = ("v1alpha4",)


@dataclass(kw_only=True)
class UDPRoute(PortRoute):
    """A UDPRoute: `ports` None or empty means every port of the destination."""


SPEC = port_route_spec(
    UDPRoute, protocol="UDP", short_name="ur", versions=VERSIONS,
    published={"smi-sdk-go": Published(structural=("v1alpha4",), patches=(no_match_name_patch("UDPRoute"),))},
    served_in={"smi-sdk-go": ("v1alpha4",)},
)
