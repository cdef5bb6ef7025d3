"""The kind registry: one specification per kind, asked by name, by (group, plural), by group, by trait."""

from __future__ import annotations

import pytest

from smi_ui.smi import NotAnSMIObject, UnsupportedAPIVersion, resolve
from smi_ui.smi.kinds import REGISTRY
from smi_ui.smi.kindspec import KindSpec


def test_every_kind_is_one_specification_found_by_name_and_by_group_and_plural():
    for spec in REGISTRY:
        assert isinstance(spec, KindSpec)
        assert REGISTRY[spec.kind] is spec
        assert REGISTRY.by_plural(spec.group, spec.plural) is spec
        assert spec in REGISTRY.in_group(spec.group)
        assert spec.model.INFO is spec
        assert set(spec.shapes) == set(spec.versions)


def test_urls_name_a_kind_by_its_plural_or_its_kind():
    for spec in REGISTRY:
        assert REGISTRY.from_url(spec.plural) is spec
        assert REGISTRY.from_url(spec.kind) is spec
    assert REGISTRY.from_url("pods") is None


def test_traits_are_asked_for_not_named():
    assert [spec.kind for spec in REGISTRY.with_trait("weighted")] == ["TrafficSplit"]
    assert [spec.kind for spec in REGISTRY.with_trait("access_rule")] == ["TrafficTarget"]
    assert {spec.kind for spec in REGISTRY.with_trait("route_spec")} == {"HTTPRouteGroup", "TCPRoute", "UDPRoute"}
    with pytest.raises(KeyError, match="unknown trait"):
        REGISTRY.with_trait("colourful")


def test_unknown_kind_names_itself():
    with pytest.raises(KeyError, match="unknown SMI kind 'Pod'"):
        REGISTRY["Pod"]


def test_the_codec_reads_groups_from_the_registry_not_from_a_suffix():
    # a group that merely ends like an SMI group is not one
    with pytest.raises(NotAnSMIObject):
        resolve({"apiVersion": "lookalike.smi-spec.io/v1", "kind": "TrafficSplit"})
    # the groups SMI itself refuses say why
    with pytest.raises(UnsupportedAPIVersion, match="metrics API"):
        resolve({"apiVersion": "metrics.smi-spec.io/v1alpha1", "kind": "TrafficMetrics"})
    # every registered group is read
    for group in REGISTRY.groups():
        spec = REGISTRY.in_group(group)[0]
        assert resolve({"apiVersion": f"{group}/{spec.latest_version}", "kind": spec.kind})[0] is spec


def test_including_a_kind_is_for_the_duration_of_a_block_only():
    before = REGISTRY.names()
    with REGISTRY.including():
        assert REGISTRY.names() == before
    assert REGISTRY.names() == before
