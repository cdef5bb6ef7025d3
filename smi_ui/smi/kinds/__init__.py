"""The registry of kinds: one module per kind, one entry per kind here, read by every layer.

Sync, discovery, the codec, the writer, the API, the pages and the sandbox all look kinds up
in `REGISTRY` (by name, by (group, plural), by group, by trait), so adding a kind is one
module and one line below (see docs/architecture.md).
"""

from __future__ import annotations

from ..kindspec import KindInfo, KindSpec, Registry, split_api_version
from . import http_route_group, tcp_route, traffic_split, traffic_target, udp_route

REGISTRY = Registry(
    (traffic_split.SPEC, traffic_target.SPEC, http_route_group.SPEC, tcp_route.SPEC, udp_route.SPEC),
    refused_groups={
        "smi-spec.io": "the pre-release single `smi-spec.io` group (before May 2019) is not valid SMI",
        "metrics.smi-spec.io": "the metrics API is read-only and aggregated, not a CRD",
    },
)

# Names older code imports; each is one registry entry, not a table.
TRAFFIC_SPLIT = traffic_split.SPEC
TRAFFIC_TARGET = traffic_target.SPEC
HTTP_ROUTE_GROUP = http_route_group.SPEC
TCP_ROUTE = tcp_route.SPEC
UDP_ROUTE = udp_route.SPEC
SPLIT_GROUP = traffic_split.GROUP
ACCESS_GROUP = traffic_target.GROUP
SPECS_GROUP = http_route_group.GROUP
METRICS_GROUP = "metrics.smi-spec.io"


def kind_info(kind: str) -> KindSpec:
    """The registry entry for a kind name; KeyError names the kind when unknown."""
    return REGISTRY[kind]


__all__ = ["REGISTRY", "KindInfo", "KindSpec", "kind_info", "split_api_version"]
