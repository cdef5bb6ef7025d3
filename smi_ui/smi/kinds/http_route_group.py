"""HTTPRouteGroup (specs.smi-spec.io): named HTTP match entries (path, methods, headers) rules refer to."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..checking import dicts, duplicates, get, re2_error
from ..codec_parts import DELETE, MISSING, Reader, Resolve, put, source_path
from ..errors import FieldError, NotExpressible
from ..kindspec import KindSpec, Patch, Published, RouteSpec, Traits
from ..model import HeaderShape, SMIObject
from ..names import is_http_token
from ..shapes import (
    Node,
    array,
    document,
    dotted,
    locate,
    node_for,
    obj,
    string,
    string_map,
)

GROUP = "specs.smi-spec.io"
VERSIONS = ("v1alpha1", "v1alpha2", "v1alpha3", "v1alpha4")
HTTP_METHODS = ("*", "GET", "HEAD", "PUT", "POST", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH")


# --- model -------------------------------------------------------------------------------


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
    matches: list[HTTPMatch] | None = None


# --- shapes ------------------------------------------------------------------------------


def _http_route_group(version: str) -> Node:
    match_fields: dict[str, Node] = {
        "name": string("Name of the match entry, referenced by TrafficTarget rules.", strict={"minLength": 1}),
        "pathRegex": string("RE2 regular expression over the request path.", role="path-regex"),
        "methods": array(string("An HTTP method, or * for all.", enum=HTTP_METHODS), "HTTP methods matched."),
    }
    if version != "v1alpha1":
        match_fields["headers"] = array(
            string_map("Header name to RE2 value regex; every header of the entry must match."),
            "Header filters of this match entry.",
            role="headers",
        )
    matches = array(
        obj("One HTTP match entry.", required=("name",), **match_fields),
        "Match entries of the group.",
        role="http-matches",
        strict={"minItems": 1},
    )
    if version in ("v1alpha1", "v1alpha2"):
        return document(required=("matches",), matches=matches)
    return document(
        spec_required=("spec",),
        spec=obj("The HTTP match entries of this group.", required=("matches",), matches=matches),
    )


# --- read and write ----------------------------------------------------------------------


def _read_headers(r: Reader, value: Any, path: str) -> tuple[list[HeaderFilter] | None, HeaderShape | None]:
    if value is MISSING or value is None:
        return None, None
    if isinstance(value, dict):
        return _header_pairs(r, value, path), "map"
    filters: list[HeaderFilter] = []
    for item_path, item in r.items(value, path) or []:
        if (entry := r.mapping(item, item_path)) is not None:
            filters.extend(_header_pairs(r, entry, item_path))
    return (filters, "list") if isinstance(value, list) else (None, None)


def _header_pairs(r: Reader, entry: dict[Any, Any], path: str) -> list[HeaderFilter]:
    pairs = []
    for name, value in entry.items():
        if not isinstance(name, str):
            r.error(path, "header names that are strings", name)
        elif not isinstance(value, str):
            r.error(f"{path}[{name}]", "a string (a regular expression)", value)
        else:
            pairs.append(HeaderFilter(name, value))
    return pairs


def _read_route_group(r: Reader, kind: str, version: str) -> dict[str, Any]:
    matches_path = locate(kind, version, "http-matches")
    with_headers = node_for(kind, version, "headers") is not None
    items = r.items(r.at(matches_path), dotted(matches_path))
    if items is None:
        return {}
    matches = []
    for path, item in items:
        entry = r.mapping(item, path)
        if entry is None:
            continue
        headers, header_shape = (
            _read_headers(r, entry.get("headers", MISSING), f"{path}.headers") if with_headers else (None, None)
        )
        matches.append(
            HTTPMatch(
                name=r.string(entry.get("name", MISSING), f"{path}.name"),
                path_regex=r.string(entry.get("pathRegex", MISSING), f"{path}.pathRegex"),
                methods=r.strings(entry.get("methods", MISSING), f"{path}.methods"),
                headers=headers,
                header_shape=header_shape,
            )
        )
    return {"matches": matches}


def _route_group_fragment(
    obj: HTTPRouteGroup, target: str, fragment: dict[str, Any], header_shape: HeaderShape | None
) -> None:
    kind = obj.kind
    matches_path = locate(kind, target, "http-matches")
    if obj.matches is None:
        put(fragment, matches_path, DELETE)
        return
    in_target = node_for(kind, target, "headers") is not None
    in_source = node_for(kind, obj.version, "headers") is not None
    entries = []
    for index, match in enumerate(obj.matches):
        field = f"{source_path(obj, 'http-matches')}[{index}]"
        entry: dict[str, Any] = {
            "name": DELETE if match.name is None else match.name,
            "pathRegex": DELETE if match.path_regex is None else match.path_regex,
            "methods": DELETE if match.methods is None else list(match.methods),
        }
        shape_out = header_shape or (match.header_shape if target == obj.version else None) or "list"
        headers = (
            None if match.headers is None else _headers_resolver(match.headers, shape_out, f"{field}.headers", target)
        )
        if in_target:
            entry["headers"] = DELETE if headers is None else headers
        elif match.headers:
            raise NotExpressible(
                f"{field}.headers", target, f"HTTPRouteGroup {target} has no header filters (v1alpha2+)"
            )
        elif in_source:
            entry["headers"] = DELETE
        entries.append(entry)
    put(fragment, matches_path, entries)


def _headers_resolver(filters: list[HeaderFilter], shape_out: HeaderShape, field: str, target: str) -> Resolve:
    def decide(original: Any) -> Any:
        reader = Reader({})
        if original is not MISSING and original is not None:
            pairs, original_shape = _read_headers(reader, original, field)
            if not reader.errors and pairs == filters and original_shape == shape_out:
                return original
        if shape_out == "list":
            return [{f.name: f.value} for f in filters]
        names = [f.name for f in filters]
        if len(set(names)) != len(names):
            raise NotExpressible(field, target, "a map of headers cannot hold the same header twice")
        return {f.name: f.value for f in filters}

    return Resolve(decide)


# --- checks ------------------------------------------------------------------------------


def _route_group_checks(manifest: dict[str, Any], version: str) -> list[FieldError]:
    errors: list[FieldError] = []
    top = version in ("v1alpha1", "v1alpha2")
    prefix = "matches" if top else "spec.matches"
    matches = get(manifest, "matches") if top else get(manifest, "spec", "matches")
    if isinstance(matches, list) and not matches:
        errors.append(FieldError(prefix, "empty", "an HTTPRouteGroup needs at least one match entry"))
    names: list[tuple[str, Any]] = []
    for path, match in dicts(matches, prefix):
        name = match.get("name")
        if name == "":
            errors.append(FieldError(f"{path}.name", "empty", "a match entry needs a name"))
        elif isinstance(name, str):
            names.append((f"{path}.name", name))
        regex = match.get("pathRegex")
        if isinstance(regex, str) and (reason := re2_error(regex)):
            errors.append(FieldError(f"{path}.pathRegex", "regex-not-re2", f"not an RE2 regular expression: {reason}"))
        headers = match.get("headers")
        entries = [(f"{path}.headers", headers)] if isinstance(headers, dict) else dicts(headers, f"{path}.headers")
        for entry_path, entry in entries:
            for header, value in entry.items():
                if not is_http_token(header):
                    errors.append(
                        FieldError(
                            f"{entry_path}[{header}]",
                            "invalid-header-name",
                            f"{header!r} is not a valid HTTP header name",
                        )
                    )
                if isinstance(value, str) and (reason := re2_error(value)):
                    errors.append(
                        FieldError(
                            f"{entry_path}[{header}]", "regex-not-re2", f"not an RE2 regular expression: {reason}"
                        )
                    )
    duplicates(errors, names, "match entry name")
    return errors


# --- publishers --------------------------------------------------------------------------


_HEADERS_IN_V1 = Patch(
    "HTTPRouteGroup", ("v1alpha1",), "add", "matches[].headers",
    "the CRD copies the v1alpha2 match schema into v1alpha1, which had no headers",
    array(string_map("Header name to value regex."), "Header match conditions."),
)  # fmt: skip


# --- the specification -------------------------------------------------------------------


def _starter(version: str, namespace: str) -> HTTPRouteGroup:
    return HTTPRouteGroup(version=version, metadata={"name": "", "namespace": namespace},
                          matches=[HTTPMatch(name="", path_regex="/", methods=["GET"])])


SPEC = KindSpec(
    kind="HTTPRouteGroup",
    group=GROUP,
    plural="httproutegroups",
    singular="httproutegroup",
    short_names=("htr",),
    versions=VERSIONS,
    model=HTTPRouteGroup,
    shapes={version: _http_route_group(version) for version in VERSIONS},
    read=_read_route_group,
    write=_route_group_fragment,
    containers=("http-matches",),
    checks=_route_group_checks,
    published={
        "smi-sdk-go": Published(structural=VERSIONS, patches=(_HEADERS_IN_V1,)),
        "osm": Published(structural=VERSIONS, patches=(_HEADERS_IN_V1,)),
        "traefik-mesh": Published(structural=("v1alpha3",), schemaless=("v1alpha1", "v1alpha2")),
    },
    served_in={"smi-sdk-go": ("v1alpha4",), "osm": ("v1alpha4",), "traefik-mesh": ("v1alpha3",)},
    starter=_starter,
    traits=Traits(route_spec=RouteSpec()),
)
