"""The structural-schema port: pruning, strict unknown-field paths and validation wording.

Small hand-written schemas exercise each rule kube-apiserver applies to custom
resources; the expected strings are the real server's.
"""

from __future__ import annotations

import pytest

from smi_ui.sandbox import structural
from smi_ui.sandbox.decoding import decode_object
from smi_ui.sandbox.objectmeta import validate_metadata
from smi_ui.sandbox.resources import ResourceType
from smi_ui.sandbox.schema_validation import validate
from smi_ui.sandbox.status import ApiError

pytestmark = pytest.mark.covers("schema.structural")

WIDGET = {
    "type": "object",
    "properties": {
        "spec": {
            "type": "object",
            "required": ["size", "parts"],
            "properties": {
                "size": {"type": "integer"},
                "ratio": {"type": "number"},
                "weight": {"x-kubernetes-int-or-string": True},
                "mode": {"type": "string", "enum": ["fast", "slow"]},
                "note": {"type": "string", "nullable": True},
                "parts": {"type": "array", "items": {
                    "type": "object", "required": ["name"],
                    "properties": {"name": {"type": "string"}, "count": {"type": "integer", "default": 1}}}},
                "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                "extra": {"type": "object", "x-kubernetes-preserve-unknown-fields": True,
                          "properties": {"known": {"type": "object", "properties": {"a": {"type": "string"}}}}},
            },
        },
    },
}


def _widget(**spec):
    return {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w", "namespace": "default"},
            "spec": {"size": 1, "parts": [{"name": "p"}], **spec}}


def _messages(obj):
    return [str(e) for e in validate(obj, WIDGET)]


def test_a_valid_object_has_no_errors():
    assert _messages(_widget(ratio=1.5, weight="50%", mode="fast", note=None)) == []


def test_missing_required_fields_are_required_values_at_their_path():
    obj = _widget()
    del obj["spec"]["size"]
    obj["spec"]["parts"] = [{}]
    assert set(_messages(obj)) == {"spec.size: Required value", "spec.parts[0].name: Required value"}


def test_wrong_types_name_the_expected_and_the_actual_json_type():
    assert _messages(_widget(size="big")) == [
        'spec.size: Invalid value: "string": spec.size in body must be of type integer: "string"']
    assert _messages(_widget(parts="p")) == [
        'spec.parts: Invalid value: "string": spec.parts in body must be of type array: "string"']


def test_integral_floats_pass_as_integers_and_integers_pass_as_numbers():
    assert _messages(_widget(size=3.0, ratio=2)) == []
    assert _messages(_widget(size=3.5)) == [
        'spec.size: Invalid value: "number": spec.size in body must be of type integer: "number"']


def test_int_or_string_accepts_both_and_names_both_when_wrong():
    assert _messages(_widget(weight=5)) == _messages(_widget(weight="5%")) == []
    assert _messages(_widget(weight=0.5)) == [
        'spec.weight: Invalid value: "number": spec.weight in body must be of type integer,string: "number"']


def test_enum_violations_are_unsupported_values():
    assert _messages(_widget(mode="medium")) == [
        'spec.mode: Unsupported value: "medium": supported values: "fast", "slow"']


def test_nullable_allows_null_and_non_nullable_null_is_a_type_error():
    assert _messages(_widget(note=None)) == []
    obj = _widget()
    obj["spec"]["parts"] = [None]
    assert _messages(obj) == [
        'spec.parts[0]: Invalid value: "null": spec.parts[0] in body must be of type object: "null"']


def test_pruning_reports_sorted_paths_and_removes_unknown_fields():
    obj = _widget(bogus=1, parts=[{"name": "p", "colour": "red"}])
    obj["zzz"] = True
    obj["metadata"]["labels"] = {"a": "b"}
    unknown = structural.prune(obj, WIDGET)
    assert unknown == ["spec.bogus", "spec.parts[0].colour", "zzz"]
    assert "bogus" not in obj["spec"] and "zzz" not in obj and obj["metadata"]["labels"] == {"a": "b"}


def test_pruning_keeps_unknown_fields_under_preserve_unknown_fields_but_prunes_declared_subtrees():
    obj = _widget(extra={"anything": {"x": 1}, "known": {"a": "b", "z": 2}})
    assert structural.prune(obj, WIDGET) == ["spec.extra.known.z"]
    assert obj["spec"]["extra"] == {"anything": {"x": 1}, "known": {"a": "b"}}


def test_additional_properties_schemas_are_used_for_unknown_keys():
    obj = _widget(labels={"a": "b", "c": 1})
    assert structural.prune(obj, WIDGET) == []
    assert _messages(obj) == ['spec.labels.c: Invalid value: "integer": spec.labels.c in body must be of type '
                              'string: "integer"']


def test_unknown_metadata_fields_are_reported_after_the_sorted_pruned_paths():
    obj = _widget(bogus=1)
    obj["metadata"]["colour"] = "red"
    resource_type = ResourceType("example.com", "v1", "Widget", "widgets", "widget", True, custom=True, schema=WIDGET)
    with pytest.raises(ApiError) as caught:
        decode_object(resource_type, obj, "Strict")
    assert caught.value.code == 400
    assert caught.value.message == ('Widget in version "v1" cannot be handled as a Widget: strict decoding error: '
                                    'unknown field "spec.bogus", unknown field "metadata.colour"')


def test_warn_prunes_and_reports_and_ignore_prunes_silently():
    resource_type = ResourceType("example.com", "v1", "Widget", "widgets", "widget", True, custom=True, schema=WIDGET)
    warned = decode_object(resource_type, _widget(bogus=1), "Warn")
    assert warned.warnings == ['unknown field "spec.bogus"'] and "bogus" not in warned.object["spec"]
    ignored = decode_object(resource_type, _widget(bogus=1), "Ignore")
    assert ignored.warnings == [] and "bogus" not in ignored.object["spec"]


def test_nulls_of_non_nullable_fields_are_dropped_before_validation_and_defaults_filled():
    obj = _widget(ratio=None, note=None)
    structural.prune_non_nullable_nulls(obj, WIDGET)
    structural.apply_defaults(obj, WIDGET)
    assert "ratio" not in obj["spec"] and obj["spec"]["note"] is None
    assert obj["spec"]["parts"] == [{"name": "p", "count": 1}]


def test_metadata_names_must_be_dns_subdomains_in_the_upstream_wording():
    errors = validate_metadata({"name": "Bad_Name", "namespace": "default"}, True, "subdomain")
    assert [str(e) for e in errors] == [
        'metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain must consist of lower case '
        "alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. "
        "'example.com', regex used for validation is "
        "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"]
    label_errors = validate_metadata({"name": "a.b"}, False, "label")
    assert [str(e) for e in label_errors] == ['metadata.name: Invalid value: "a.b": must not contain dots']


def test_label_values_and_missing_names_use_upstream_messages():
    errors = validate_metadata({"namespace": "default", "labels": {"ok": "not ok!"}}, True, "subdomain")
    assert str(errors[0]) == "metadata.name: Required value: name or generateName is required"
    assert str(errors[1]).startswith('metadata.labels: Invalid value: "not ok!": a valid label must be an empty '
                                     "string or consist of alphanumeric characters")
