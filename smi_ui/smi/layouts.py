"""CRD layouts found in real installations: which versions of which kinds a cluster serves.

A cluster serves only the versions its CRDs mark `served: true` (SMI CRDs have no
conversion webhook), so the same manifest is accepted by one cluster and refused by
another. The sandbox cluster is configured with one of these layouts, and sync
discovers the layout of a real cluster instead of assuming the latest versions.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from .kinds import REGISTRY
from .kindspec import KindInfo, LiveMapping


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


# What each installation is; which versions of which kind it serves is held by the kinds
# themselves (`KindSpec.served_in`), so a kind's module is the one place that says it.
DESCRIPTIONS: dict[str, str] = {
    "smi-sdk-go": "The spec's own CRDs (final releases): split v1alpha4, access v1alpha3, specs v1alpha4.",
    "osm": "Open Service Mesh: split v1alpha2 only, access v1alpha3, specs v1alpha4, no UDPRoute.",
    "linkerd-smi": "Linkerd's SMI extension: TrafficSplit only, v1alpha1 (storage) and v1alpha2.",
    "traefik-mesh": "Traefik Mesh: split v1alpha3, access v1alpha2, specs v1alpha3.",
}


def _layouts() -> dict[str, Layout]:
    return {
        name: Layout(
            name,
            description,
            tuple(ServedKind(spec, spec.served_in[name], name) for spec in REGISTRY if name in spec.served_in),
        )
        for name, description in DESCRIPTIONS.items()
    }


LAYOUTS: Mapping[str, Layout] = LiveMapping(_layouts)

DEFAULT_LAYOUT = "smi-sdk-go"


def layout(name: str) -> Layout:
    try:
        return LAYOUTS[name]
    except KeyError:
        raise KeyError(f"unknown CRD layout {name!r}; known: {', '.join(LAYOUTS)}") from None
