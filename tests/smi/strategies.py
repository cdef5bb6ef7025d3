"""Hypothesis strategies: raw manifests of every SMI kind and version, with unmodelled extras."""

from __future__ import annotations

from hypothesis import strategies as st

from smi_ui.smi.kinds import REGISTRY

names = st.from_regex(r"[a-z]([a-z0-9-]{0,8}[a-z0-9])?", fullmatch=True)
# Keys no version models, so they can be sprinkled anywhere without colliding with real fields.
extra_keys = st.sampled_from(["x-note", "futureField", "x-owner"])
scalars = st.one_of(st.integers(-5, 5), st.text(alphabet="abc", max_size=3), st.booleans(), st.none())
extras = st.dictionaries(extra_keys, scalars, max_size=2)
json_values = st.recursive(
    scalars | st.floats(allow_nan=False, allow_infinity=False),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=4), children, max_size=3),
    max_leaves=8,
)


def _with_extras(fields):
    return st.tuples(fields, extras).map(lambda pair: {**pair[0], **pair[1]})


def _object(required=None, optional=None):
    return _with_extras(st.fixed_dictionaries(required or {}, optional=optional or {}))


metadata = st.fixed_dictionaries(
    {"name": names},
    optional={
        "namespace": names,
        "labels": st.dictionaries(names, names, max_size=2),
        "annotations": st.dictionaries(names, st.text(max_size=8), max_size=2),
        "resourceVersion": st.integers(1, 10**6).map(str),
        "ownerReferences": st.lists(
            st.fixed_dictionaries(
                {"apiVersion": st.just("argoproj.io/v1alpha1"), "kind": st.just("Rollout"), "name": names}
            ),
            max_size=1,
        ),
    },
)

quantity_weights = st.one_of(
    st.integers(0, 1000),
    st.integers(0, 10**5).map(lambda milli: f"{milli}m"),
    st.integers(0, 10**4).map(lambda hundredths: f"{hundredths / 100:.2f}"),
    st.sampled_from(["1", "0", "1k", "2e2", "1Ki", "500m"]),
)
integer_weights = st.integers(0, 1000)
ports = st.integers(1, 65535)
methods = st.lists(st.sampled_from(["GET", "POST", "PUT", "*", "HEAD"]), max_size=3, unique=True)
regexes = st.sampled_from([".*", "/api/.*", "^/v[0-9]+/items$", "/metrics"])
header_maps = st.dictionaries(st.sampled_from(["user-agent", "cookie", "x-canary"]), regexes, min_size=1, max_size=2)


def _identity(with_port: bool):
    optional = {"namespace": names}
    if with_port:
        optional["port"] = ports
    return _object({"kind": st.just("ServiceAccount"), "name": names}, optional)


def _rules(kinds):
    rule = _object({"kind": st.sampled_from(kinds), "name": names}, {"matches": st.lists(names, max_size=2)})
    return st.lists(rule, max_size=3)


def _spec_fields(kind: str, version: str):
    """The fields a version puts next to metadata (top level or under spec)."""
    if kind == "TrafficSplit":
        weight = quantity_weights if version == "v1alpha1" else integer_weights
        backend = _object({"service": names, "weight": weight})
        optional = {}
        if version in ("v1alpha3", "v1alpha4"):
            optional["matches"] = st.lists(_object({"kind": st.just("HTTPRouteGroup"), "name": names}), max_size=2)
        spec = _object({"service": names, "backends": st.lists(backend, min_size=1, max_size=4)}, optional)
        return st.fixed_dictionaries({"spec": spec})
    if kind == "TrafficTarget":
        kinds = ["HTTPRouteGroup", "TCPRoute"] + (["UDPRoute"] if version == "v1alpha3" else [])
        fields = {
            "destination": _identity(with_port=version != "v1alpha3"),
            "sources": st.lists(_identity(with_port=False), max_size=2),
        }
        rules = _rules(kinds)
        if version == "v1alpha1":
            return _object({**fields, "specs": rules})
        return st.fixed_dictionaries({"spec": _object({**fields, "rules": rules})})
    if kind == "HTTPRouteGroup":
        optional = {"pathRegex": regexes, "methods": methods}
        if version != "v1alpha1":
            optional["headers"] = header_maps | st.lists(header_maps, max_size=2)
        matches = st.lists(_object({"name": names}, optional), min_size=1, max_size=3)
        if version in ("v1alpha1", "v1alpha2"):
            return st.fixed_dictionaries({"matches": matches})
        return st.fixed_dictionaries({"spec": _object({"matches": matches})})
    if version != "v1alpha4":
        return st.fixed_dictionaries({}, optional={"spec": st.just({})})
    port_matches = _object({"ports": st.lists(ports, max_size=3, unique=True)}, {"name": names})
    return st.fixed_dictionaries({"spec": _object({"matches": port_matches})})


def manifests(kind: str, version: str):
    info = next(k for k in REGISTRY if k.kind == kind)
    head = st.fixed_dictionaries(
        {"apiVersion": st.just(info.api_version(version)), "kind": st.just(kind), "metadata": metadata},
        optional={"status": st.dictionaries(extra_keys, scalars, max_size=2), "x-top": scalars},
    )
    return st.tuples(head, _spec_fields(kind, version)).map(lambda pair: {**pair[0], **pair[1]})


KIND_VERSIONS = [(info.kind, version) for info in REGISTRY for version in info.versions]
any_manifest = st.sampled_from(KIND_VERSIONS).flatmap(lambda kv: manifests(*kv))
