"""CRD layouts found in real installations: which versions of which kinds a cluster serves.

A cluster serves only the versions its CRDs mark `served: true` (SMI CRDs have no
conversion webhook), so the same manifest is accepted by one cluster and refused by
another. The sandbox cluster is configured with one of these layouts, and sync
discovers the layout of a real cluster instead of assuming the latest versions.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .kinds import HTTP_ROUTE_GROUP, TCP_ROUTE, TRAFFIC_SPLIT, TRAFFIC_TARGET, UDP_ROUTE, KindInfo


@dataclass(frozen=True)
class ServedKind:
    """One CRD of a layout: the versions served (storage version first) and its schema flavour."""

    info: KindInfo
    served: tuple[str, ...]
    flavour: str = "default"  # selects schema differences between CRD publishers

    @property
    def storage_version(self) -> str:
        return self.served[0]

    @property
    def preferred_version(self) -> str:
        """What discovery reports as preferred: the newest served version."""
        return max(self.served, key=self.info.versions.index)


@dataclass(frozen=True)
class Layout:
    name: str
    description: str
    kinds: tuple[ServedKind, ...] = field(default_factory=tuple)

    def served(self, kind: str) -> ServedKind | None:
        for served in self.kinds:
            if served.info.kind == kind:
                return served
        return None


LAYOUTS: dict[str, Layout] = {
    layout.name: layout
    for layout in (
        Layout(
            "smi-sdk-go",
            "The spec's own CRDs (final releases): split v1alpha4, access v1alpha3, specs v1alpha4.",
            (
                ServedKind(TRAFFIC_SPLIT, ("v1alpha4",), "smi-sdk-go"),
                ServedKind(TRAFFIC_TARGET, ("v1alpha3",), "smi-sdk-go"),
                ServedKind(HTTP_ROUTE_GROUP, ("v1alpha4",), "smi-sdk-go"),
                ServedKind(TCP_ROUTE, ("v1alpha4",), "smi-sdk-go"),
                ServedKind(UDP_ROUTE, ("v1alpha4",), "smi-sdk-go"),
            ),
        ),
        Layout(
            "osm",
            "Open Service Mesh: split v1alpha2 only, access v1alpha3, specs v1alpha4, no UDPRoute.",
            (
                ServedKind(TRAFFIC_SPLIT, ("v1alpha2",), "osm"),
                ServedKind(TRAFFIC_TARGET, ("v1alpha3",), "osm"),
                ServedKind(HTTP_ROUTE_GROUP, ("v1alpha4",), "osm"),
                ServedKind(TCP_ROUTE, ("v1alpha4",), "osm"),
            ),
        ),
        Layout(
            "linkerd-smi",
            "Linkerd's SMI extension: TrafficSplit only, v1alpha1 (storage) and v1alpha2.",
            (ServedKind(TRAFFIC_SPLIT, ("v1alpha1", "v1alpha2"), "linkerd-smi"),),
        ),
        Layout(
            "traefik-mesh",
            "Traefik Mesh: split v1alpha3, access v1alpha2, specs v1alpha3.",
            (
                ServedKind(TRAFFIC_SPLIT, ("v1alpha3",), "traefik-mesh"),
                ServedKind(TRAFFIC_TARGET, ("v1alpha2",), "traefik-mesh"),
                ServedKind(HTTP_ROUTE_GROUP, ("v1alpha3",), "traefik-mesh"),
                ServedKind(TCP_ROUTE, ("v1alpha3",), "traefik-mesh"),
            ),
        ),
    )
}

DEFAULT_LAYOUT = "smi-sdk-go"


def layout(name: str) -> Layout:
    try:
        return LAYOUTS[name]
    except KeyError:
        raise KeyError(f"unknown CRD layout {name!r}; known: {', '.join(LAYOUTS)}") from None
