"""Patch formats and selector parsing as building blocks, checked against upstream semantics."""

from __future__ import annotations

import pytest

from smi_ui.sandbox.patches import json_patch, merge_patch, strategic_merge_patch
from smi_ui.sandbox.selectors import parse_field_selector, parse_label_selector
from smi_ui.sandbox.status import ApiError

covers = pytest.mark.covers


@covers("verbs.patch-merge")
def test_merge_patch_merges_objects_replaces_lists_and_deletes_nulls():
    target = {"a": {"b": 1, "c": 2}, "list": [1, 2], "gone": True}
    assert merge_patch(target, {"a": {"b": 5}, "list": [3], "gone": None}) == {"a": {"b": 5, "c": 2}, "list": [3]}
    assert target["a"]["b"] == 1


@covers("verbs.patch-json")
def test_json_patch_supports_every_operation():
    doc = {"a": [1, 2], "b": {"c": 1}}
    patched = json_patch(doc, [
        {"op": "add", "path": "/a/-", "value": 3},
        {"op": "add", "path": "/a/0", "value": 0},
        {"op": "copy", "from": "/b/c", "path": "/d"},
        {"op": "move", "from": "/b", "path": "/e"},
        {"op": "remove", "path": "/a/1"},
        {"op": "test", "path": "/d", "value": 1},
    ])
    assert patched == {"a": [0, 2, 3], "d": 1, "e": {"c": 1}}
    with pytest.raises(ApiError) as missing:
        json_patch(doc, [{"op": "replace", "path": "/nope", "value": 1}])
    assert missing.value.code == 422


@covers("verbs.patch-strategic")
def test_strategic_merge_patch_honours_kubectl_apply_directives():
    live = {"spec": {"containers": [{"name": "a", "image": "a:1", "env": [{"name": "X", "value": "1"}]},
                                    {"name": "b", "image": "b:1"}],
                     "ports": [{"port": 80, "protocol": "TCP"}, {"port": 443, "protocol": "TCP"}]},
            "metadata": {"finalizers": ["x"]}}
    patch = {"spec": {"$setElementOrder/containers": [{"name": "b"}, {"name": "a"}],
                      "containers": [{"name": "a", "image": "a:2"}, {"name": "b", "$patch": "delete"}],
                      "ports": [{"port": 80, "name": "http"}]},
             "metadata": {"finalizers": ["y"], "$deleteFromPrimitiveList/finalizers": ["x"]}}
    result = strategic_merge_patch(live, patch)
    assert result["spec"]["containers"] == [{"name": "a", "image": "a:2", "env": [{"name": "X", "value": "1"}]}]
    assert result["spec"]["ports"] == [{"port": 80, "protocol": "TCP", "name": "http"},
                                       {"port": 443, "protocol": "TCP"}]
    assert result["metadata"]["finalizers"] == ["y"]
    replaced = strategic_merge_patch({"spec": {"a": 1, "b": 2}}, {"spec": {"$patch": "replace", "c": 3}})
    assert replaced == {"spec": {"c": 3}}
    retained = strategic_merge_patch({"strategy": {"type": "Recreate", "rollingUpdate": {"x": 1}}},
                                     {"strategy": {"$retainKeys": ["type"], "type": "Recreate"}})
    assert retained == {"strategy": {"type": "Recreate"}}


@covers("verbs.label-selector")
@pytest.mark.parametrize("selector, labels, expected", [
    ("a=b", {"a": "b"}, True),
    ("a = b, c != d", {"a": "b", "c": "e"}, True),
    ("a in (b, c)", {"a": "c"}, True),
    ("a notin (b)", {}, True),
    ("!a", {"a": "x"}, False),
    ("a", {"a": ""}, True),
    ("n>3", {"n": "4"}, True),
    ("n<3", {"n": "4"}, False),
    ("example.com/tier=web", {"example.com/tier": "web"}, True),
])
def test_label_selector_requirements(selector, labels, expected):
    assert parse_label_selector(selector).matches(labels) is expected


@covers("verbs.label-selector")
@pytest.mark.parametrize("selector", ["a in b", "a=(b", "in (a)", "a,", "a=b=c", "Bad Key=1"])
def test_malformed_label_selectors_are_bad_requests(selector):
    with pytest.raises(ApiError) as error:
        parse_label_selector(selector)
    assert error.value.code == 400


@covers("verbs.field-selector")
def test_field_selectors_match_and_refuse_unknown_fields():
    obj = {"metadata": {"name": "a", "namespace": "n"}, "status": {"phase": "Running"}}
    assert parse_field_selector("metadata.name=a,metadata.namespace==n", "TrafficSplit").matches(obj)
    assert not parse_field_selector("metadata.name!=a", "TrafficSplit").matches(obj)
    assert parse_field_selector("status.phase=Running", "Pod").matches(obj)
    with pytest.raises(ApiError) as error:
        parse_field_selector("status.phase=Running", "TrafficSplit")
    assert error.value.message == "field label not supported: status.phase"
