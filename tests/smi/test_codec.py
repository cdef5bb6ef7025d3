"""Parsing any supported manifest into the model and writing it back, losslessly, in any version."""

from __future__ import annotations

import copy
from fractions import Fraction

import pytest

from smi_ui.smi import (
    Backend,
    HeaderFilter,
    HTTPMatch,
    HTTPRouteGroup,
    IdentityRef,
    InvalidManifest,
    NotAnSMIObject,
    NotExpressible,
    TCPRoute,
    TrafficRule,
    TrafficSplit,
    TrafficTarget,
    UDPRoute,
    UnsupportedAPIVersion,
    parse,
    serialize,
    split_shares,
    version_of,
)

from .support import fixture_document, fixture_documents, load_one

ALL_FIXTURES = fixture_documents("split.yaml") + fixture_documents("access.yaml") + fixture_documents("specs.yaml")


@pytest.mark.parametrize("manifest", ALL_FIXTURES, ids=lambda m: f"{m['kind']}-{m['apiVersion']}")
def test_writing_back_in_the_version_read_gives_the_same_document(manifest):
    original = copy.deepcopy(manifest)
    assert serialize(parse(manifest), version_of(manifest)) == original
    assert manifest == original, "parse must not modify its input"


def test_parse_reads_v1alpha1_quantity_weights_exactly():
    split = parse(fixture_document("split.yaml", "TrafficSplit", "split.smi-spec.io/v1alpha1"))
    assert isinstance(split, TrafficSplit)
    assert [b.weight for b in split.backends] == [Fraction(9, 10), Fraction(1, 10)]
    assert split.version == "v1alpha1"
    assert split.labels == {"app": "checkout"}
    assert split.owner_references[0]["kind"] == "Canary"


def test_unchanged_weights_keep_their_original_spelling():
    manifest = fixture_document("split.yaml", "TrafficSplit", "split.smi-spec.io/v1alpha1")
    written = serialize(parse(manifest))
    assert [b["weight"] for b in written["spec"]["backends"]] == ["900m", "100m"]


def test_a_changed_v1alpha1_weight_is_written_as_a_canonical_quantity():
    split = parse(fixture_document("split.yaml", "TrafficSplit", "split.smi-spec.io/v1alpha1"))
    split.backends[1].weight = Fraction(1, 4)
    split.backends[0].weight = Fraction(3)
    backends = serialize(split)["spec"]["backends"]
    assert backends[0]["weight"] == 3
    assert backends[1]["weight"] == "250m"
    assert backends[0]["x-note"] == "keep me", "unknown fields of a backend survive an edit"


def test_converting_quantity_weights_to_an_integer_version_keeps_the_exact_ratios():
    split = parse(fixture_document("split.yaml", "TrafficSplit", "split.smi-spec.io/v1alpha1"))
    written = serialize(split, "v1alpha2")
    assert [b["weight"] for b in written["spec"]["backends"]] == [9, 1]
    assert split_shares(parse(written)) == split_shares(split)


def test_integer_weights_stay_integers_in_v1alpha1():
    split = parse(fixture_document("split.yaml", "TrafficSplit", "split.smi-spec.io/v1alpha2"))
    written = serialize(split, "v1alpha1")
    assert written["apiVersion"] == "split.smi-spec.io/v1alpha1"
    assert [b["weight"] for b in written["spec"]["backends"]] == [75, 25]


def test_conversion_refuses_ratios_that_need_integers_beyond_int32():
    split = TrafficSplit(
        version="v1alpha1",
        metadata={"name": "huge"},
        service="web",
        backends=[Backend(service="a", weight=Fraction(1, 10**9)), Backend(service="b", weight=Fraction(10**6))],
    )
    with pytest.raises(NotExpressible) as caught:
        serialize(split, "v1alpha4")
    assert caught.value.version == "v1alpha4"
    assert "weight" in caught.value.field


def test_split_matches_cannot_be_written_before_v1alpha3():
    split = parse(fixture_document("split.yaml", "TrafficSplit", "split.smi-spec.io/v1alpha3"))
    for version in ("v1alpha1", "v1alpha2"):
        with pytest.raises(NotExpressible) as caught:
            serialize(split, version)
        assert (caught.value.field, caught.value.version) == ("spec.matches", version)
    assert serialize(split, "v1alpha4")["spec"]["matches"] == [{"kind": "HTTPRouteGroup", "name": "beta-testers"}]


def test_an_empty_matches_list_is_dropped_when_converting_to_a_version_without_matches():
    manifest = fixture_document("split.yaml", "TrafficSplit", "split.smi-spec.io/v1alpha3")
    manifest["spec"]["matches"] = []
    assert "matches" not in serialize(parse(manifest), "v1alpha2")["spec"]


def test_traffic_target_fields_move_between_top_level_and_spec():
    v1 = parse(fixture_document("access.yaml", "TrafficTarget", "access.smi-spec.io/v1alpha1"))
    v2 = serialize(v1, "v1alpha2")
    assert "destination" not in v2 and "specs" not in v2
    assert v2["spec"]["destination"]["port"] == 8443
    assert v2["spec"]["rules"] == [{"kind": "HTTPRouteGroup", "name": "ledger-routes", "matches": ["read"]}]
    back = serialize(parse(v2), "v1alpha1")
    assert back == fixture_document("access.yaml", "TrafficTarget", "access.smi-spec.io/v1alpha1")


def test_destination_port_cannot_be_written_in_access_v1alpha3():
    target = parse(fixture_document("access.yaml", "TrafficTarget", "access.smi-spec.io/v1alpha2"))
    with pytest.raises(NotExpressible) as caught:
        serialize(target, "v1alpha3")
    assert (caught.value.field, caught.value.version) == ("spec.destination.port", "v1alpha3")
    target.destination.port = None
    assert "port" not in serialize(target, "v1alpha3")["spec"]["destination"]


def test_udp_rules_cannot_be_written_before_access_v1alpha3():
    target = parse(fixture_document("access.yaml", "TrafficTarget", "access.smi-spec.io/v1alpha3"))
    with pytest.raises(NotExpressible) as caught:
        serialize(target, "v1alpha2")
    assert caught.value.field == "spec.rules[0].kind"
    assert "UDPRoute" in caught.value.reason


def test_tcp_ports_cannot_be_written_before_specs_v1alpha4():
    route = parse(fixture_document("specs.yaml", "TCPRoute", "specs.smi-spec.io/v1alpha4"))
    for version in ("v1alpha1", "v1alpha2", "v1alpha3"):
        with pytest.raises(NotExpressible) as caught:
            serialize(route, version)
        assert (caught.value.field, caught.value.version) == ("spec.matches.ports", version)


def test_an_all_ports_tcp_route_gains_an_empty_port_list_in_v1alpha4():
    route = parse(fixture_document("specs.yaml", "TCPRoute", "specs.smi-spec.io/v1alpha1"))
    assert route.ports is None
    assert serialize(route, "v1alpha4")["spec"] == {"matches": {"ports": []}}
    back = parse(fixture_document("specs.yaml", "TCPRoute", "specs.smi-spec.io/v1alpha4"))
    back.ports = []
    assert serialize(back, "v1alpha3")["spec"] == {}


def test_headers_cannot_be_written_in_http_route_group_v1alpha1():
    group = parse(fixture_document("specs.yaml", "HTTPRouteGroup", "specs.smi-spec.io/v1alpha2"))
    with pytest.raises(NotExpressible) as caught:
        serialize(group, "v1alpha1")
    assert (caught.value.field, caught.value.version) == ("matches[0].headers", "v1alpha1")


def test_header_maps_are_read_as_and_conditions_and_remember_their_shape():
    group = parse(fixture_document("specs.yaml", "HTTPRouteGroup", "specs.smi-spec.io/v1alpha2"))
    match = group.matches[0]
    assert match.headers == [HeaderFilter("cookie", ".*beta=1.*"), HeaderFilter("x-client", "^mobile-.*")]
    assert match.header_shape == "map"


def test_header_maps_become_lists_of_maps_when_written_to_another_version():
    group = parse(fixture_document("specs.yaml", "HTTPRouteGroup", "specs.smi-spec.io/v1alpha2"))
    written = serialize(group, "v1alpha4")
    assert written["spec"]["matches"][0]["headers"] == [{"cookie": ".*beta=1.*"}, {"x-client": "^mobile-.*"}]
    assert "matches" not in written, "v1alpha4 keeps matches under spec only"


def test_header_shape_can_be_forced_for_the_same_version():
    group = parse(fixture_document("specs.yaml", "HTTPRouteGroup", "specs.smi-spec.io/v1alpha2"))
    written = serialize(group, header_shape="list")
    assert written["matches"][0]["headers"] == [{"cookie": ".*beta=1.*"}, {"x-client": "^mobile-.*"}]
    listed = parse(fixture_document("specs.yaml", "HTTPRouteGroup", "specs.smi-spec.io/v1alpha3"))
    assert serialize(listed, header_shape="map")["spec"]["matches"][0]["headers"] == {"cookie": ".*beta=1.*"}


def test_the_same_header_twice_cannot_be_written_as_a_map():
    group = HTTPRouteGroup(
        version="v1alpha2",
        metadata={"name": "g"},
        matches=[HTTPMatch(name="m", headers=[HeaderFilter("a", "x"), HeaderFilter("a", "y")])],
    )
    assert serialize(group)["matches"][0]["headers"] == [{"a": "x"}, {"a": "y"}]
    with pytest.raises(NotExpressible):
        serialize(group, header_shape="map")


def test_unknown_fields_survive_at_every_level_and_through_conversion():
    manifest = load_one(
        """
        apiVersion: access.smi-spec.io/v1alpha2
        kind: TrafficTarget
        metadata: {name: t, namespace: ns, annotations: {a: b}}
        spec:
          destination: {kind: ServiceAccount, name: d, namespace: ns, x-dest: 1}
          rules:
          - {kind: HTTPRouteGroup, name: r, x-rule: 2}
          sources:
          - {kind: ServiceAccount, name: s, namespace: ns, x-source: 3}
          x-spec: 4
        x-top: 5
        status: {phase: Ready}
        """
    )
    assert serialize(parse(manifest)) == manifest
    v3 = serialize(parse(manifest), "v1alpha3")
    assert v3["spec"]["destination"]["x-dest"] == 1
    assert v3["spec"]["rules"][0]["x-rule"] == 2
    assert v3["spec"]["sources"][0]["x-source"] == 3
    assert v3["spec"]["x-spec"] == 4 and v3["x-top"] == 5 and v3["status"] == {"phase": "Ready"}
    assert v3["metadata"] == manifest["metadata"]


def test_explicit_nulls_and_missing_fields_are_written_back_as_they_were():
    manifest = load_one(
        """
        apiVersion: split.smi-spec.io/v1alpha2
        kind: TrafficSplit
        metadata: {name: s}
        spec:
          service: null
          backends:
          - {service: a}
        """
    )
    split = parse(manifest)
    assert split.service is None and split.backends[0].weight is None
    assert serialize(split) == manifest


def test_objects_built_in_code_serialize_without_a_source_document():
    target = TrafficTarget(
        version="v1alpha3",
        metadata={"name": "t", "namespace": "ns"},
        destination=IdentityRef(name="db", namespace="ns"),
        rules=[TrafficRule(kind="TCPRoute", name="db-port")],
        sources=[IdentityRef(name="app", namespace="ns")],
    )
    assert serialize(target) == {
        "apiVersion": "access.smi-spec.io/v1alpha3",
        "kind": "TrafficTarget",
        "metadata": {"name": "t", "namespace": "ns"},
        "spec": {
            "destination": {"kind": "ServiceAccount", "name": "db", "namespace": "ns"},
            "rules": [{"kind": "TCPRoute", "name": "db-port"}],
            "sources": [{"kind": "ServiceAccount", "name": "app", "namespace": "ns"}],
        },
    }
    udp = UDPRoute(version="v1alpha4", metadata={"name": "u"}, ports=[53])
    assert serialize(udp)["spec"] == {"matches": {"ports": [53]}}


def test_reordered_backends_keep_their_own_unknown_fields():
    manifest = fixture_document("split.yaml", "TrafficSplit", "split.smi-spec.io/v1alpha1")
    split = parse(manifest)
    split.backends.reverse()
    backends = serialize(split)["spec"]["backends"]
    assert [b["service"] for b in backends] == ["checkout-canary", "checkout-primary"]
    assert backends[1]["x-note"] == "keep me" and "x-note" not in backends[0]


def test_a_removed_optional_field_is_removed_from_the_document():
    group = parse(fixture_document("specs.yaml", "HTTPRouteGroup", "specs.smi-spec.io/v1alpha4"))
    group.matches[0].path_regex = None
    assert "pathRegex" not in serialize(group)["spec"]["matches"][0]


@pytest.mark.parametrize(
    ("api_version", "kind", "group", "version", "reason"),
    [
        ("smi-spec.io/v1alpha1", "TrafficTarget", "smi-spec.io", "v1alpha1", "pre-release"),
        ("split.smi-spec.io/v1beta1", "TrafficSplit", "split.smi-spec.io", "v1beta1", "draft"),
        ("access.smi-spec.io/v1alpha4", "IdentityBinding", "access.smi-spec.io", "v1alpha4", "defines no kind"),
        ("access.smi-spec.io/v1alpha4", "TrafficTarget", "access.smi-spec.io", "v1alpha4", "IdentityBinding"),
        ("specs.smi-spec.io/v1alpha3", "TrafficSplit", "specs.smi-spec.io", "v1alpha3", "defines no kind"),
        ("specs.smi-spec.io/v1alpha5", "TCPRoute", "specs.smi-spec.io", "v1alpha5", "no version"),
        ("metrics.smi-spec.io/v1alpha1", "TrafficMetrics", "metrics.smi-spec.io", "v1alpha1", "read-only"),
        ("v1alpha1", "HTTPRouteGroup", "", "v1alpha1", "no API group"),
    ],
)
def test_unsupported_versions_and_kinds_are_reported_with_group_version_and_reason(
    api_version, kind, group, version, reason
):
    with pytest.raises(UnsupportedAPIVersion) as caught:
        parse({"apiVersion": api_version, "kind": kind, "metadata": {"name": "x"}})
    error = caught.value
    assert (error.group, error.version, error.kind) == (group, version, kind)
    assert reason in error.reason
    assert version in str(error)


def test_non_smi_objects_are_told_apart():
    with pytest.raises(NotAnSMIObject):
        parse({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"}})


@pytest.mark.parametrize(
    "manifest",
    [
        {},
        {"kind": "TrafficSplit"},
        {"apiVersion": 3, "kind": "TrafficSplit"},
        {"apiVersion": "split.smi-spec.io/v1alpha4", "kind": "TrafficSplit", "metadata": "x"},
        {"apiVersion": "split.smi-spec.io/v1alpha4", "kind": "TrafficSplit", "spec": []},
        {"apiVersion": "split.smi-spec.io/v1alpha4", "kind": "TrafficSplit", "spec": {"backends": {"a": 1}}},
        {"apiVersion": "split.smi-spec.io/v1alpha4", "kind": "TrafficSplit", "spec": {"backends": [{"weight": "x"}]}},
        {"apiVersion": "split.smi-spec.io/v1alpha1", "kind": "TrafficSplit", "spec": {"backends": [{"weight": "x"}]}},
        {"apiVersion": "access.smi-spec.io/v1alpha3", "kind": "TrafficTarget", "spec": {"sources": "all"}},
        {"apiVersion": "specs.smi-spec.io/v1alpha4", "kind": "HTTPRouteGroup", "spec": {"matches": [{"headers": 1}]}},
        {"apiVersion": "specs.smi-spec.io/v1alpha4", "kind": "TCPRoute", "spec": {"matches": {"ports": ["80"]}}},
    ],
)
def test_wrongly_typed_manifests_raise_invalid_manifest_naming_the_path(manifest):
    with pytest.raises(InvalidManifest) as caught:
        parse(manifest)
    assert caught.value.errors and all(error.path for error in caught.value.errors)


def test_route_objects_expose_their_ports_and_matches():
    route = parse(fixture_document("specs.yaml", "TCPRoute", "specs.smi-spec.io/v1alpha4"))
    assert isinstance(route, TCPRoute) and route.ports == [5432, 5433]
    group = parse(fixture_document("specs.yaml", "HTTPRouteGroup", "specs.smi-spec.io/v1alpha4"))
    assert [m.name for m in group.matches] == ["read", "write"]
    assert group.matches[1].methods == ["POST", "PUT"]
