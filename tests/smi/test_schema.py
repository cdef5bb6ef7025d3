"""Generated CRD schemas behave like each publisher's CRD; the model schema is the project's stricter one."""

from __future__ import annotations

import jsonschema
import pytest

from smi_ui.smi import crd_schema, model_schema, unknown_fields, validate_manifest
from smi_ui.smi.layouts import LAYOUTS
from smi_ui.smi.schema import FLAVOURS, SchemaNotPublished, base_schema, flavour_differences

from .jsonschema_support import crd_verdict
from .support import fixture_document, fixture_documents, load_one

SERVED = sorted(
    {
        (kind.info.kind, version, kind.flavour)
        for layout in LAYOUTS.values()
        for kind in layout.kinds
        for version in kind.served
    }
)


def _structural(schema, path="root"):
    """Every node says its type (or is int-or-string), arrays say their items: apiserver rules for CRDs."""
    if schema.get("x-kubernetes-preserve-unknown-fields") and "properties" not in schema:
        return
    assert "type" in schema or schema.get("x-kubernetes-int-or-string"), path
    if schema.get("type") == "array":
        assert "items" in schema, path
        _structural(schema["items"], f"{path}[]")
    for name, child in schema.get("properties", {}).items():
        _structural(child, f"{path}.{name}")


@pytest.mark.parametrize(("kind", "version", "flavour"), SERVED)
def test_every_served_kind_and_version_of_every_layout_has_a_structural_schema(kind, version, flavour):
    _structural(crd_schema(kind, version, flavour))


def test_weights_are_int_or_string_in_linkerds_v1alpha1_and_number_in_every_integer_version():
    weight = crd_schema("TrafficSplit", "v1alpha1", "linkerd-smi")["properties"]["spec"]["properties"]["backends"]
    assert weight["items"]["properties"]["weight"] == {
        "x-kubernetes-int-or-string": True,
        "description": weight["items"]["properties"]["weight"]["description"],
    }
    for name in FLAVOURS:
        for version in ("v1alpha2", "v1alpha3", "v1alpha4"):
            try:
                schema = crd_schema("TrafficSplit", version, name)
            except SchemaNotPublished:
                continue
            if "properties" in schema:
                backend = schema["properties"]["spec"]["properties"]["backends"]["items"]
                assert backend["properties"]["weight"]["type"] == "number", (name, version)
    base = base_schema("TrafficSplit", "v1alpha4")["properties"]["spec"]["properties"]["backends"]["items"]
    assert base["properties"]["weight"]["type"] == "integer"


def test_publishers_list_different_versions():
    with pytest.raises(SchemaNotPublished):
        crd_schema("TrafficSplit", "v1alpha1", "smi-sdk-go")
    with pytest.raises(SchemaNotPublished):
        crd_schema("UDPRoute", "v1alpha4", "osm")
    with pytest.raises(SchemaNotPublished):
        crd_schema("TrafficTarget", "v1alpha3", "linkerd-smi")
    assert crd_schema("TCPRoute", "v1alpha3", "traefik-mesh") == {
        "type": "object",
        "x-kubernetes-preserve-unknown-fields": True,
    }


def test_the_default_flavour_is_the_spec_sdk():
    assert crd_schema("TrafficTarget", "v1alpha3", "default") == crd_schema("TrafficTarget", "v1alpha3")
    with pytest.raises(KeyError, match="unknown CRD flavour"):
        crd_schema("TrafficTarget", "v1alpha3", "istio")


def test_sdk_crd_declares_headers_in_v1alpha1_and_requires_the_v1alpha1_port():
    group = crd_schema("HTTPRouteGroup", "v1alpha1")["properties"]["matches"]["items"]
    assert group["properties"]["headers"]["items"]["additionalProperties"] == {"type": "string"}
    assert "headers" not in base_schema("HTTPRouteGroup", "v1alpha1")["properties"]["matches"]["items"]["properties"]
    destination = crd_schema("TrafficTarget", "v1alpha1", "osm")["properties"]["destination"]
    assert set(destination["required"]) == {"name", "kind", "port"}


def test_no_crd_declares_the_tcp_match_name_that_the_go_type_has():
    assert "name" in base_schema("TCPRoute", "v1alpha4")["properties"]["spec"]["properties"]["matches"]["properties"]
    matches = crd_schema("TCPRoute", "v1alpha4")["properties"]["spec"]["properties"]["matches"]
    assert set(matches["properties"]) == {"ports"} and matches["required"] == ["ports"]


def test_crd_schema_returns_a_fresh_copy():
    crd_schema("TrafficSplit", "v1alpha4")["properties"].clear()
    assert "spec" in crd_schema("TrafficSplit", "v1alpha4")["properties"]


def test_every_patch_is_explained():
    lines = flavour_differences()
    assert lines and all("(" in line or "no schema" in line for line in lines)


def test_unknown_fields_are_reported_with_apiserver_paths():
    document = load_one(
        """
        apiVersion: split.smi-spec.io/v1alpha4
        kind: TrafficSplit
        metadata: {name: s, colour: red}
        bogusField: 1
        spec:
          service: web
          backends: [{service: a, weight: 1, port: 80}]
        """
    )
    assert unknown_fields(crd_schema("TrafficSplit", "v1alpha4"), document) == [
        "bogusField",
        "metadata.colour",
        "spec.backends[0].port",
    ]


def test_an_object_where_a_list_is_declared_makes_its_keys_unknown_like_the_apiserver():
    document = load_one("{kind: HTTPRouteGroup, metadata: {name: g}, spec: {matches: {name: x}}}")
    assert unknown_fields(crd_schema("HTTPRouteGroup", "v1alpha4"), document) == ["spec.matches.name"]
    assert unknown_fields({"type": "object", "x-kubernetes-preserve-unknown-fields": True}, document) == []


@pytest.mark.parametrize(("kind", "version", "flavour"), SERVED)
def test_fixtures_of_served_versions_are_accepted_by_the_generated_crd(kind, version, flavour):
    for document in (
        fixture_documents("split.yaml") + fixture_documents("access.yaml") + fixture_documents("specs.yaml")
    ):
        if (
            document["kind"] == kind
            and document["apiVersion"].endswith("/" + version)
            and not validate_manifest(document)
        ):
            assert crd_verdict(crd_schema(kind, version, flavour), document) == "accepted"


def test_generated_crd_accepts_what_the_project_refuses_only_for_stricter_rules():
    document = load_one(
        """
        apiVersion: split.smi-spec.io/v1alpha2
        kind: TrafficSplit
        metadata: {name: s}
        spec:
          service: web
          backends: [{service: a, weight: 12.5}, {service: b, weight: -3}]
        """
    )
    assert crd_verdict(crd_schema("TrafficSplit", "v1alpha2", "osm"), document) == "accepted"
    assert {error.code for error in validate_manifest(document)} == {"not-integer", "weight-negative"}


def test_model_schema_accepts_valid_fixtures_and_refuses_what_the_crd_lets_through():
    valid = fixture_document("split.yaml", "TrafficSplit", "split.smi-spec.io/v1alpha4")
    schema = model_schema("TrafficSplit", "v1alpha4")
    jsonschema.Draft7Validator.check_schema(schema)
    assert list(jsonschema.Draft7Validator(schema).iter_errors(valid)) == []
    for change in (
        lambda d: d["spec"]["backends"][0].update(weight=12.5),
        lambda d: d["spec"]["backends"][0].update(weight=-1),
        lambda d: d["metadata"].update(name="Not_A_Name"),
        lambda d: d["spec"].update(backends=[]),
        lambda d: d["spec"]["backends"][0].update(port=80),
    ):
        broken = load_one(str(valid).replace("'", '"'))
        change(broken)
        assert list(jsonschema.Draft7Validator(schema).iter_errors(broken)), change
        assert validate_manifest(broken), change


def test_model_schema_of_v1alpha1_weights_takes_quantity_strings():
    schema = model_schema("TrafficSplit", "v1alpha1")
    document = fixture_document("split.yaml", "TrafficSplit", "split.smi-spec.io/v1alpha1")
    errors = {error.json_path for error in jsonschema.Draft7Validator(schema).iter_errors(document)}
    assert errors == {"$.spec", "$", "$.spec.backends[0]"}, "only the deliberate extra fields are refused"
