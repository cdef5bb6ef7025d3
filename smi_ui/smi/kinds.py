"""The registry of SMI kinds: one entry per kind, read by every layer.

Sync, the writer, the API, the pages and the sandbox all look kinds up here,
so adding a kind (or a version) is one edit in one place.
"""

from __future__ import annotations

from dataclasses import dataclass

SPLIT_GROUP = "split.smi-spec.io"
ACCESS_GROUP = "access.smi-spec.io"
SPECS_GROUP = "specs.smi-spec.io"
METRICS_GROUP = "metrics.smi-spec.io"

SMI_GROUPS = (SPLIT_GROUP, ACCESS_GROUP, SPECS_GROUP)


@dataclass(frozen=True)
class KindInfo:
    """What a cluster and a client need to know about one SMI kind."""

    kind: str
    group: str
    plural: str
    singular: str
    short_names: tuple[str, ...]
    versions: tuple[str, ...]  # oldest first; every version the spec ever defined
    namespaced: bool = True

    @property
    def list_kind(self) -> str:
        return f"{self.kind}List"

    @property
    def latest_version(self) -> str:
        return self.versions[-1]

    def api_version(self, version: str) -> str:
        return f"{self.group}/{version}"

    @property
    def crd_name(self) -> str:
        return f"{self.plural}.{self.group}"


TRAFFIC_SPLIT = KindInfo(
    kind="TrafficSplit",
    group=SPLIT_GROUP,
    plural="trafficsplits",
    singular="trafficsplit",
    short_names=("ts",),
    versions=("v1alpha1", "v1alpha2", "v1alpha3", "v1alpha4"),
)
TRAFFIC_TARGET = KindInfo(
    kind="TrafficTarget",
    group=ACCESS_GROUP,
    plural="traffictargets",
    singular="traffictarget",
    short_names=("tt",),
    versions=("v1alpha1", "v1alpha2", "v1alpha3"),
)
HTTP_ROUTE_GROUP = KindInfo(
    kind="HTTPRouteGroup",
    group=SPECS_GROUP,
    plural="httproutegroups",
    singular="httproutegroup",
    short_names=("htr",),
    versions=("v1alpha1", "v1alpha2", "v1alpha3", "v1alpha4"),
)
TCP_ROUTE = KindInfo(
    kind="TCPRoute",
    group=SPECS_GROUP,
    plural="tcproutes",
    singular="tcproute",
    short_names=("tr",),
    versions=("v1alpha1", "v1alpha2", "v1alpha3", "v1alpha4"),
)
UDP_ROUTE = KindInfo(
    kind="UDPRoute",
    group=SPECS_GROUP,
    plural="udproutes",
    singular="udproute",
    short_names=("ur",),
    versions=("v1alpha4",),
)

KINDS: tuple[KindInfo, ...] = (TRAFFIC_SPLIT, TRAFFIC_TARGET, HTTP_ROUTE_GROUP, TCP_ROUTE, UDP_ROUTE)
KINDS_BY_NAME: dict[str, KindInfo] = {k.kind: k for k in KINDS}
KINDS_BY_PLURAL: dict[tuple[str, str], KindInfo] = {(k.group, k.plural): k for k in KINDS}


def kind_info(kind: str) -> KindInfo:
    """The registry entry for a kind name; KeyError names the kind when unknown."""
    try:
        return KINDS_BY_NAME[kind]
    except KeyError:
        raise KeyError(f"unknown SMI kind {kind!r}") from None


def split_api_version(api_version: str) -> tuple[str, str]:
    """`group/version` -> (group, version); a bare `v1` has the empty core group."""
    if "/" in api_version:
        group, _, version = api_version.partition("/")
        return group, version
    return "", api_version
