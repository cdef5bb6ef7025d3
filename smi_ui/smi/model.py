"""The version-neutral model: one dataclass per SMI kind, whatever version it was read from.

Fields the document omits are None (not empty), so that writing an object back produces
the document that was read; validation, not the model, decides what is required. Every
object remembers the version it came from and the document itself (`source`), which the
codec uses to keep everything the model does not describe (labels, unknown fields...).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, ClassVar, Literal

from .kinds import HTTP_ROUTE_GROUP, TCP_ROUTE, TRAFFIC_SPLIT, TRAFFIC_TARGET, UDP_ROUTE, KindInfo

HeaderShape = Literal["map", "list"]


@dataclass(kw_only=True)
class SMIObject:
    """What every SMI object has: metadata, the version it was read from, and its source document."""

    INFO: ClassVar[KindInfo]

    version: str
    metadata: dict[str, Any] | None = None
    source: dict[str, Any] | None = field(default=None, repr=False, compare=False)

    @property
    def kind(self) -> str:
        return self.INFO.kind

    @property
    def api_version(self) -> str:
        return self.INFO.api_version(self.version)

    def _meta(self, key: str, expected: type) -> Any:
        value = self.metadata.get(key) if isinstance(self.metadata, dict) else None
        return value if isinstance(value, expected) else None

    @property
    def name(self) -> str | None:
        return self._meta("name", str)

    @property
    def namespace(self) -> str | None:
        return self._meta("namespace", str)

    @property
    def labels(self) -> dict[str, str]:
        return dict(self._meta("labels", dict) or {})

    @property
    def annotations(self) -> dict[str, str]:
        return dict(self._meta("annotations", dict) or {})

    @property
    def owner_references(self) -> list[dict[str, Any]]:
        return [ref for ref in self._meta("ownerReferences", list) or [] if isinstance(ref, dict)]


# --- TrafficSplit ---------------------------------------------------------------------------


@dataclass(kw_only=True)
class Backend:
    """A backend Service and its weight; weights are relative (exact, any version's units)."""

    service: str | None = None
    weight: Fraction | None = None


@dataclass(kw_only=True)
class RouteGroupRef:
    """A TrafficSplit `matches` entry: an HTTPRouteGroup in the split's namespace."""

    name: str | None = None
    kind: str | None = "HTTPRouteGroup"


@dataclass(kw_only=True)
class TrafficSplit(SMIObject):
    INFO: ClassVar[KindInfo] = TRAFFIC_SPLIT

    service: str | None = None
    backends: list[Backend] | None = None
    matches: list[RouteGroupRef] | None = None


# --- TrafficTarget --------------------------------------------------------------------------


@dataclass(kw_only=True)
class IdentityRef:
    """A destination or source identity; `port` exists only in access v1alpha1/v1alpha2."""

    name: str | None = None
    kind: str | None = "ServiceAccount"
    namespace: str | None = None
    port: int | None = None


@dataclass(kw_only=True)
class TrafficRule:
    """A route the target allows (`specs` in v1alpha1, `rules` later); `matches` None = all entries."""

    kind: str | None = None
    name: str | None = None
    matches: list[str] | None = None


@dataclass(kw_only=True)
class TrafficTarget(SMIObject):
    INFO: ClassVar[KindInfo] = TRAFFIC_TARGET

    destination: IdentityRef | None = None
    rules: list[TrafficRule] | None = None
    sources: list[IdentityRef] | None = None


# --- HTTPRouteGroup -------------------------------------------------------------------------


@dataclass(frozen=True)
class HeaderFilter:
    """One header condition: the header `name` must match the RE2 regex `value`."""

    name: str
    value: str


@dataclass(kw_only=True)
class HTTPMatch:
    """One match entry. All its conditions must hold (path AND methods AND every header).

    `header_shape` records how the headers were written (`{name: regex}` or `[{name: regex}]`)
    so that the document is written back the way it was read.
    """

    name: str | None = None
    path_regex: str | None = None
    methods: list[str] | None = None
    headers: list[HeaderFilter] | None = None
    header_shape: HeaderShape | None = field(default=None, compare=False)


@dataclass(kw_only=True)
class HTTPRouteGroup(SMIObject):
    INFO: ClassVar[KindInfo] = HTTP_ROUTE_GROUP

    matches: list[HTTPMatch] | None = None


# --- TCPRoute / UDPRoute --------------------------------------------------------------------


@dataclass(kw_only=True)
class PortRoute(SMIObject):
    """TCPRoute and UDPRoute: `ports` None or empty means every port of the destination."""

    ports: list[int] | None = None
    match_name: str | None = None


@dataclass(kw_only=True)
class TCPRoute(PortRoute):
    INFO: ClassVar[KindInfo] = TCP_ROUTE


@dataclass(kw_only=True)
class UDPRoute(PortRoute):
    INFO: ClassVar[KindInfo] = UDP_ROUTE


MODEL_CLASSES: dict[str, type[SMIObject]] = {
    cls.INFO.kind: cls for cls in (TrafficSplit, TrafficTarget, HTTPRouteGroup, TCPRoute, UDPRoute)
}
