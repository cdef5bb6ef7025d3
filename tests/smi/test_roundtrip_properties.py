"""Properties of the codec over generated manifests of every kind and version."""

from __future__ import annotations

import copy
import dataclasses

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smi_ui.smi import (
    HTTPRouteGroup,
    NotExpressible,
    SMIError,
    TCPRoute,
    TrafficSplit,
    UDPRoute,
    parse,
    serialize,
    split_shares,
    validate_manifest,
)
from smi_ui.smi.shares import WeightError

from .strategies import KIND_VERSIONS, any_manifest, json_values, manifests

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _content(obj):
    """What must survive a conversion: the model without its version and, for splits, shares not weights."""
    if isinstance(obj, TrafficSplit):
        try:
            shares = split_shares(obj)
        except WeightError:
            shares = [b.weight for b in obj.backends or []]
        backends = [dataclasses.replace(b, weight=None) for b in obj.backends or []]
        # an empty `matches` is dropped in versions without matches: both mean "split everything"
        return dataclasses.replace(obj, version="-", backends=backends, matches=obj.matches or None), shares
    if isinstance(obj, TCPRoute | UDPRoute):
        return dataclasses.replace(obj, version="-", ports=obj.ports or [])  # no ports = every port
    if isinstance(obj, HTTPRouteGroup):
        matches = [dataclasses.replace(m, headers=m.headers or None) for m in obj.matches or []]
        return dataclasses.replace(obj, version="-", matches=matches)
    return dataclasses.replace(obj, version="-")


@pytest.mark.parametrize(("kind", "version"), KIND_VERSIONS)
@SETTINGS
@given(data=st.data())
def test_every_generated_manifest_is_written_back_exactly(kind, version, data):
    manifest = data.draw(manifests(kind, version))
    original = copy.deepcopy(manifest)
    assert serialize(parse(manifest)) == original


@SETTINGS
@given(any_manifest, st.data())
def test_converting_to_another_version_and_back_keeps_the_content(manifest, data):
    obj = parse(manifest)
    target = data.draw(st.sampled_from(obj.INFO.versions))
    try:
        converted = serialize(obj, target)
    except NotExpressible as refused:
        assert refused.version == target and refused.field
        return
    assert converted["apiVersion"] == obj.INFO.api_version(target)
    again = parse(converted)
    assert _content(again) == _content(obj)
    assert _content(parse(serialize(again, obj.version))) == _content(obj)


def _paths(value, path=()):
    """Every position inside a document: dict keys and list indices, outermost first."""
    yield path
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _paths(child, (*path, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _paths(child, (*path, index))


def _replace(document, path, new):
    parent = document
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = new


@SETTINGS
@given(any_manifest, st.data(), json_values)
def test_garbage_anywhere_gives_errors_never_crashes(manifest, data, garbage):
    broken = copy.deepcopy(manifest)
    path = data.draw(st.sampled_from([p for p in _paths(broken) if p]))
    _replace(broken, path, garbage)
    errors = validate_manifest(broken)
    assert all(isinstance(error.path, str) and error.code for error in errors)
    try:
        obj = parse(broken)
    except SMIError:
        return
    assert serialize(obj) == broken
    assert isinstance(obj.labels, dict) and isinstance(obj.owner_references, list)
    for version in obj.INFO.versions:
        try:
            serialize(obj, version)
        except NotExpressible:
            pass


@SETTINGS
@given(json_values)
def test_validation_of_arbitrary_json_never_raises(value):
    errors = validate_manifest(value)
    assert errors, "nothing but a manifest is valid"
