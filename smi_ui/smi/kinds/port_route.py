"""What TCPRoute and UDPRoute share (specs.smi-spec.io): optional port matches, no content before v1alpha4."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..checking import duplicates, get
from ..codec_parts import DELETE, MISSING, Reader, put, source_path
from ..errors import FieldError, NotExpressible
from ..kindspec import KindSpec, Patch, Published, RouteSpec, Traits
from ..model import HeaderShape, SMIObject
from ..shapes import (
    PORT,
    Node,
    array,
    document,
    dotted,
    integer,
    locate,
    obj,
    string,
)

GROUP = "specs.smi-spec.io"


# --- model -------------------------------------------------------------------------------


@dataclass(kw_only=True)
class PortRoute(SMIObject):
    """TCPRoute and UDPRoute: `ports` None or empty means every port of the destination."""

    ports: list[int] | None = None
    match_name: str | None = None




# --- shapes ------------------------------------------------------------------------------


def port_route_shape(protocol: str, version: str) -> Node:
    if version != "v1alpha4":
        return document(spec=obj(f"{protocol} on every port of the destination; no content in {version}."))
    return document(
        spec_required=("spec",),
        spec=obj(
            f"Which {protocol} traffic the route matches.",
            required=("matches",),
            matches=obj(
                f"{protocol} match conditions.",
                required=("ports",),
                role="port-matches",
                name=string("Name of the match condition.", role="port-match-name"),
                ports=array(
                    integer("A port number.", strict=PORT),
                    "Destination ports matched; an empty list matches every port.",
                    role="ports",
                    strict={"uniqueItems": True},
                ),
            ),
        ),
    )


# --- read and write ----------------------------------------------------------------------


def read_port_route(r: Reader, kind: str, version: str) -> dict[str, Any]:
    matches_path = locate(kind, version, "port-matches")
    if matches_path is None:
        return {}
    entry = r.mapping(r.at(matches_path), dotted(matches_path))
    if entry is None:
        return {}
    path = dotted(matches_path)
    ports = None
    items = r.items(entry.get("ports", MISSING), f"{path}.ports")
    if items is not None:
        ports = [port for item_path, item in items if (port := r.integer(item, item_path)) is not None]
    return {"ports": ports, "match_name": r.string(entry.get("name", MISSING), f"{path}.name")}


def write_port_route(obj: PortRoute, target: str, fragment: dict[str, Any], _shape: HeaderShape | None) -> None:
    kind = obj.kind
    matches_path = locate(kind, target, "port-matches")
    if matches_path is None:
        if obj.ports:
            raise NotExpressible(
                f"{source_path(obj, 'port-matches')}.ports",
                target,
                f"{kind} {target} cannot restrict ports (v1alpha4+)",
            )
        if obj.match_name is not None:
            raise NotExpressible(
                f"{source_path(obj, 'port-matches')}.name", target, f"{kind} {target} has no match conditions"
            )
        return
    ports: Any = DELETE if obj.ports is None else list(obj.ports)
    if obj.ports is None and obj.version != target:
        ports = []  # every port, as in the versions without ports; the CRD requires the list
    entry = {"name": DELETE if obj.match_name is None else obj.match_name, "ports": ports}
    put(fragment, matches_path, entry)


# --- checks ------------------------------------------------------------------------------


def port_route_checks(manifest: dict[str, Any], version: str) -> list[FieldError]:
    errors: list[FieldError] = []
    if version != "v1alpha4":
        return errors
    matches = get(manifest, "spec", "matches")
    ports = get(matches, "ports")
    entries: list[tuple[str, Any]] = []
    for index, port in enumerate(ports if isinstance(ports, list) else []):
        path = f"spec.matches.ports[{index}]"
        if isinstance(port, int | float) and not isinstance(port, bool):
            if not 1 <= port <= 65535:
                errors.append(FieldError(path, "port-out-of-range", f"{port} is not in 1-65535"))
            entries.append((path, port))
    duplicates(errors, entries, "port")
    return errors


def port_route_starter(model: type[PortRoute]) -> Callable[[str, str], PortRoute]:
    """A new port route: an empty port list where the version has matches (every port)."""

    def starter(version: str, namespace: str) -> PortRoute:
        route = model(version=version, metadata={"name": "", "namespace": namespace})
        if locate(route.kind, version, "port-matches") is not None:
            route.ports = []
        return route

    return starter


def port_route_spec(model: type[PortRoute], *, protocol: str, short_name: str, versions: tuple[str, ...],
                    published: dict[str, Published], served_in: dict[str, tuple[str, ...]]) -> KindSpec:
    """The registry entry of a port route: TCPRoute and UDPRoute differ only in protocol, versions and layouts."""
    kind = model.__name__
    return KindSpec(
        kind=kind,
        group=GROUP,
        plural=f"{kind.lower()}s",
        singular=kind.lower(),
        short_names=(short_name,),
        versions=versions,
        model=model,
        shapes={version: port_route_shape(protocol, version) for version in versions},
        read=read_port_route,
        write=write_port_route,
        containers=("port-matches",),
        checks=port_route_checks,
        published=published,
        served_in=served_in,
        starter=port_route_starter(model),
        traits=Traits(route_spec=RouteSpec()),
    )


def no_match_name_patch(kind: str) -> Patch:
    """v1alpha4's Go type has `matches.name`; the published CRDs never declared it, so the sandbox drops it."""
    return Patch(kind, ("v1alpha4",), "drop", "spec.matches.name", "the Go type has it, the CRD never declared it")
