"""Validation of raw manifests: every problem, with an apiserver-style path and a code."""

from __future__ import annotations

import copy

import pytest

from smi_ui.smi import STRICTER_THAN_CRD, TrafficTarget, parse, validate_manifest, validate_object
from smi_ui.smi.validate import CRD_CODES, re2_error

from .support import fixture_documents, load_one

ALL_FIXTURES = fixture_documents("split.yaml") + fixture_documents("access.yaml") + fixture_documents("specs.yaml")


def _errors(text_or_manifest):
    manifest = load_one(text_or_manifest) if isinstance(text_or_manifest, str) else text_or_manifest
    return {(error.path, error.code) for error in validate_manifest(manifest)}


def _split(version="v1alpha4", backends="[{service: a, weight: 50}, {service: b, weight: 50}]", extra=""):
    return f"""
    apiVersion: split.smi-spec.io/{version}
    kind: TrafficSplit
    metadata: {{name: web, namespace: shop}}
    spec:
      service: web
      backends: {backends}
      {extra}
    """


@pytest.mark.parametrize("manifest", ALL_FIXTURES, ids=lambda m: f"{m['kind']}-{m['apiVersion']}")
def test_the_hand_written_fixtures_are_valid(manifest):
    if manifest["kind"] == "HTTPRouteGroup" and manifest["apiVersion"].endswith("v1alpha2"):
        assert _errors(manifest) == {("matches[0].headers", "header-shape")}
    elif manifest["apiVersion"] == "split.smi-spec.io/v1alpha1":  # carries fields no CRD declares, on purpose
        assert _errors(manifest) == {
            ("spec.backends[0].x-note", "unknown-field"),
            ("spec.x-future", "unknown-field"),
            ("status", "unknown-field"),
        }
    else:
        assert validate_manifest(manifest) == []


def test_every_problem_is_reported_not_just_the_first():
    errors = _errors(
        """
        apiVersion: split.smi-spec.io/v1alpha2
        kind: TrafficSplit
        metadata: {name: Web_1}
        spec:
          service: web.shop.svc
          backends:
          - {service: a, weight: 12.5}
          - {service: a, weight: -1}
          - {weight: 3}
        """
    )
    assert errors == {
        ("metadata.name", "invalid-name"),
        ("spec.service", "invalid-reference"),
        ("spec.backends[0].weight", "not-integer"),
        ("spec.backends[1].weight", "weight-negative"),
        ("spec.backends[1].service", "duplicate"),
        ("spec.backends[2].service", "required"),
    }


@pytest.mark.parametrize(
    "manifest",
    [None, 7, "text", [], {}, {"apiVersion": "split.smi-spec.io/v1alpha4"}, {"kind": "TrafficSplit", "metadata": 3}],
)
def test_anything_that_is_not_a_manifest_gives_errors_not_exceptions(manifest):
    assert validate_manifest(manifest)


def test_wrong_types_are_reported_at_their_path():
    errors = _errors(
        """
        apiVersion: access.smi-spec.io/v1alpha3
        kind: TrafficTarget
        metadata: {name: t, namespace: ns}
        spec:
          destination: {kind: 5, name: db, namespace: ns}
          rules: {kind: TCPRoute}
          sources: all
        """
    )
    assert errors == {
        ("spec.destination.kind", "type"),
        ("spec.rules", "type"),
        ("spec.sources", "type"),
    }


def test_v1alpha1_weights_must_be_quantities_and_not_fractional_yaml_numbers():
    errors = _errors(
        _split("v1alpha1", "[{service: a, weight: heavy}, {service: b, weight: 0.5}, {service: c, weight: 1.0}]")
    )
    assert errors == {("spec.backends[0].weight", "invalid-quantity"), ("spec.backends[1].weight", "type")}
    assert (
        validate_manifest(load_one(_split("v1alpha1", "[{service: a, weight: 500m}, {service: b, weight: '5'}]"))) == []
    )


def test_a_split_needs_backends_and_some_traffic():
    assert _errors(_split(backends="[]")) == {("spec.backends", "empty")}
    assert _errors(_split(backends="[{service: a, weight: 0}, {service: b, weight: 0}]")) == {
        ("spec.backends", "weights-all-zero")
    }
    assert _errors(_split("v1alpha1", "[{service: a, weight: 0m}]")) == {("spec.backends", "weights-all-zero")}


def test_split_matches_exist_only_from_v1alpha3_and_reference_http_route_groups():
    matches = "matches: [{kind: TCPRoute, name: x}]"
    assert _errors(_split("v1alpha3", extra=matches)) == {("spec.matches[0].kind", "enum")}
    assert _errors(_split("v1alpha2", extra="matches: [{kind: HTTPRouteGroup, name: x}]")) == {
        ("spec.matches", "unknown-field")
    }


def test_traffic_target_v1alpha3_needs_rules_and_sources_of_service_accounts():
    errors = _errors(
        """
        apiVersion: access.smi-spec.io/v1alpha3
        kind: TrafficTarget
        metadata: {name: t, namespace: ns}
        spec:
          destination: {kind: Pod, name: db, namespace: other, port: 5432}
          rules: []
        """
    )
    assert errors == {
        ("spec.sources", "required"),
        ("spec.rules", "empty"),
        ("spec.destination.kind", "unsupported-identity-kind"),
        ("spec.destination.namespace", "namespace-mismatch"),
        ("spec.destination.port", "unknown-field"),
    }


def test_udp_rules_and_out_of_range_ports_are_refused_in_access_v1alpha2():
    errors = _errors(
        """
        apiVersion: access.smi-spec.io/v1alpha2
        kind: TrafficTarget
        metadata: {name: t}
        spec:
          destination: {kind: ServiceAccount, name: db, port: 70000}
          rules: [{kind: UDPRoute, name: dns}]
        """
    )
    assert errors == {("spec.rules[0].kind", "enum"), ("spec.destination.port", "port-out-of-range")}


def test_access_v1alpha1_keeps_fields_at_the_top_and_requires_the_destination_port():
    errors = _errors(
        """
        apiVersion: access.smi-spec.io/v1alpha1
        kind: TrafficTarget
        metadata: {name: t}
        destination: {kind: ServiceAccount, name: db}
        specs: [{kind: TCPRoute, name: db}]
        spec: {}
        """
    )
    assert errors == {("destination.port", "required"), ("spec", "unknown-field")}


def test_http_route_groups_need_unique_named_entries_with_known_methods():
    errors = _errors(
        """
        apiVersion: specs.smi-spec.io/v1alpha4
        kind: HTTPRouteGroup
        metadata: {name: g}
        spec:
          matches:
          - {name: a, methods: [GET, get]}
          - {name: a}
          - {name: ""}
        """
    )
    assert errors == {
        ("spec.matches[0].methods[1]", "enum"),
        ("spec.matches[1].name", "duplicate"),
        ("spec.matches[2].name", "empty"),
    }
    assert _errors(
        "{apiVersion: specs.smi-spec.io/v1alpha4, kind: HTTPRouteGroup, metadata: {name: g}, spec: {matches: []}}"
    ) == {("spec.matches", "empty")}


@pytest.mark.parametrize("regex", ["(?=foo)bar", "(?!x)", "(?<=a)b", r"(a)\1", "([a-z]", "a{2,1}"])
def test_path_regexes_must_compile_under_re2(regex):
    manifest = load_one(
        "{apiVersion: specs.smi-spec.io/v1alpha4, kind: HTTPRouteGroup, metadata: {name: g},"
        " spec: {matches: [{name: m}]}}"
    )
    manifest["spec"]["matches"][0]["pathRegex"] = regex
    assert _errors(manifest) == {("spec.matches[0].pathRegex", "regex-not-re2")}
    assert re2_error(regex)


def test_re2_syntax_that_python_would_also_accept_passes():
    for regex in ["/api/v[0-9]+/.*", "^(?P<id>[a-z]+)$", "(?i)firefox", ".*"]:
        assert re2_error(regex) is None


def test_header_names_must_be_tokens_and_values_re2_in_both_shapes():
    errors = _errors(
        """
        apiVersion: specs.smi-spec.io/v1alpha3
        kind: HTTPRouteGroup
        metadata: {name: g}
        spec:
          matches:
          - name: m
            headers:
            - {"user agent": ".*"}
            - {cookie: "(?<=x)y"}
        """
    )
    assert errors == {
        ("spec.matches[0].headers[0][user agent]", "invalid-header-name"),
        ("spec.matches[0].headers[1][cookie]", "regex-not-re2"),
    }


def test_header_maps_are_refused_where_every_crd_wants_a_list_and_headers_do_not_exist_in_v1alpha1():
    header_map = (
        "{apiVersion: specs.smi-spec.io/VERSION, kind: HTTPRouteGroup, metadata: {name: g},"
        " matches: [{name: m, headers: {a: b}}]}"
    )
    assert _errors(header_map.replace("VERSION", "v1alpha2")) == {("matches[0].headers", "header-shape")}
    assert _errors(header_map.replace("VERSION", "v1alpha1")) == {("matches[0].headers", "not-in-version")}


def test_tcp_route_ports_are_unique_and_in_range_and_required_in_v1alpha4():
    route = "{apiVersion: specs.smi-spec.io/v1alpha4, kind: TCPRoute, metadata: {name: r}, spec: SPEC}"
    assert _errors(route.replace("SPEC", "{matches: {ports: [80, 80, 0, 65536]}}")) == {
        ("spec.matches.ports[1]", "duplicate"),
        ("spec.matches.ports[2]", "port-out-of-range"),
        ("spec.matches.ports[3]", "port-out-of-range"),
    }
    assert _errors(route.replace("SPEC", "{matches: {}}")) == {("spec.matches.ports", "required")}
    assert _errors(route.replace(", spec: SPEC", "")) == {("spec", "required-by-spec")}
    assert _errors(route.replace("SPEC", "{matches: {ports: [], name: x}}")) == {("spec.matches.name", "unknown-field")}


def test_tcp_routes_before_v1alpha4_must_have_an_empty_spec():
    route = (
        "{apiVersion: specs.smi-spec.io/v1alpha3, kind: TCPRoute, metadata: {name: r}, spec: {matches: {ports: [80]}}}"
    )
    assert _errors(route) == {("spec.matches", "not-in-version")}


def test_unsupported_versions_are_errors_on_api_version():
    assert _errors("{apiVersion: split.smi-spec.io/v1beta1, kind: TrafficSplit, metadata: {name: x}}") == {
        ("apiVersion", "unsupported-version")
    }
    assert _errors("{apiVersion: split.smi-spec.io/v1alpha4, kind: Canary, metadata: {name: x}}") == {
        ("kind", "unsupported-version")
    }


def test_metadata_is_checked_like_the_apiserver_does():
    manifest = load_one(_split())
    manifest["metadata"] = {"name": "x" * 254, "namespace": "<NAMESPACE>", "labels": {"a": 1}, "colour": "red"}
    assert _errors(manifest) == {
        ("metadata.name", "invalid-name"),
        ("metadata.namespace", "invalid-namespace"),
        ("metadata.labels[a]", "type"),
        ("metadata.colour", "unknown-field"),
    }


def test_validate_object_checks_the_document_that_would_be_written():
    target = parse(fixture_documents("access.yaml")[1])
    assert isinstance(target, TrafficTarget)
    assert validate_object(target) == []
    [error] = validate_object(target, "v1alpha3")
    assert (error.path, error.code) == ("spec.destination.port", "not-expressible")
    broken = copy.deepcopy(target)
    broken.sources = []
    broken.destination.port = None
    assert {(e.path, e.code) for e in validate_object(broken, "v1alpha3")} == {("spec.sources", "empty")}


def test_every_code_is_either_one_the_crd_shares_or_listed_as_stricter_with_a_reason():
    assert not set(CRD_CODES) & set(STRICTER_THAN_CRD)
    assert all(reason.strip() for reason in STRICTER_THAN_CRD.values())
    samples = [
        _split("v1alpha2", "[{service: A, weight: 1.5}, {service: A, weight: -2}]", "colour: red"),
        _split("v1alpha1", "[{service: a, weight: x}]"),
        "{apiVersion: specs.smi-spec.io/v1alpha4, kind: HTTPRouteGroup, metadata: {name: g},"
        " spec: {matches: [{name: m, pathRegex: '(?=a)', headers: {'a b': x}}]}}",
    ]
    for sample in samples:
        for error in validate_manifest(load_one(sample)):
            assert error.code in CRD_CODES or error.code in STRICTER_THAN_CRD, error
