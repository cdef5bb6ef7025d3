"""Weights are relative: shares are exact, sum to one, and survive rescaling and conversion."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from smi_ui.smi import TrafficSplit, parse, serialize
from smi_ui.smi.shares import (
    WeightError,
    apply_shares,
    apply_weights,
    backend,
    effective_shares,
    integer_weights,
    rebalance,
    split_shares,
)

from .support import load_one


def _split(version, *weights):
    return TrafficSplit(
        version=version,
        metadata={"name": "web"},
        service="web",
        backends=[backend(f"web-{i}", weight) for i, weight in enumerate(weights)],
    )


def test_milli_weights_integer_weights_and_percentages_mean_the_same_split():
    v1 = parse(
        load_one(
            """
            apiVersion: split.smi-spec.io/v1alpha1
            kind: TrafficSplit
            metadata: {name: web}
            spec:
              service: web
              backends: [{service: web-0, weight: 900m}, {service: web-1, weight: 100m}]
            """
        )
    )
    assert split_shares(v1) == split_shares(_split("v1alpha2", 9, 1)) == split_shares(_split("v1alpha4", 90, 10))
    assert split_shares(v1) == {"web-0": Fraction(9, 10), "web-1": Fraction(1, 10)}


def test_weights_need_not_sum_to_a_hundred():
    assert split_shares(_split("v1alpha4", 1, 1, 2)) == {
        "web-0": Fraction(1, 4),
        "web-1": Fraction(1, 4),
        "web-2": Fraction(1, 2),
    }


def test_a_service_listed_twice_receives_both_shares():
    split = _split("v1alpha4", 1, 1)
    split.backends[1].service = "web-0"
    assert split_shares(split) == {"web-0": Fraction(1)}


def test_all_zero_and_negative_weights_are_refused():
    with pytest.raises(WeightError, match="zero"):
        split_shares(_split("v1alpha4", 0, 0))
    with pytest.raises(WeightError, match="negative"):
        effective_shares([5, -1])


def test_integer_weights_keep_whole_weights_and_reduce_fractions_to_the_smallest_integers():
    assert integer_weights([90, 10]) == [90, 10]
    assert integer_weights([Fraction(1, 2), Fraction(3, 2)]) == [1, 3]
    assert integer_weights([Fraction(2, 3), Fraction(4, 3)]) == [1, 2]
    assert integer_weights([Fraction(1, 10), Fraction(0)]) == [1, 0]


def test_apply_weights_changes_only_the_named_backends():
    split = _split("v1alpha2", 50, 50, 0)
    new = apply_weights(split, {"web-2": 25})
    assert [b.weight for b in new.backends] == [50, 50, 25]
    assert [b.weight for b in split.backends] == [50, 50, 0], "the original is not modified"


def test_apply_weights_refuses_unknown_backends_fractions_in_integer_versions_and_negatives():
    split = _split("v1alpha2", 50, 50)
    with pytest.raises(WeightError, match="web-9"):
        apply_weights(split, {"web-9": 1})
    with pytest.raises(WeightError, match="integers"):
        apply_weights(split, {"web-0": Fraction(1, 2)})
    with pytest.raises(WeightError, match="negative"):
        apply_weights(split, {"web-0": -1})
    assert apply_weights(_split("v1alpha1", 1, 1), {"web-0": Fraction(1, 2)}).backends[0].weight == Fraction(1, 2)


def test_apply_shares_gives_the_canary_its_share_and_keeps_the_others_proportions():
    split = _split("v1alpha4", 60, 30, 0)
    new = apply_shares(split, {"web-2": Fraction(1, 10)})
    assert [b.weight for b in new.backends] == [60, 30, 10]
    assert split_shares(new)["web-2"] == Fraction(1, 10)


def test_apply_shares_writes_the_same_document_with_new_weights_only():
    manifest = load_one(
        """
        apiVersion: split.smi-spec.io/v1alpha2
        kind: TrafficSplit
        metadata: {name: web, resourceVersion: "42"}
        spec:
          service: web
          backends: [{service: web-0, weight: 100, port: 80}, {service: web-1, weight: 0}]
        """
    )
    written = serialize(apply_shares(parse(manifest), {"web-1": Fraction(1, 4)}))
    assert written["spec"]["backends"] == [
        {"service": "web-0", "weight": 75, "port": 80},
        {"service": "web-1", "weight": 25},
    ]
    assert written["metadata"]["resourceVersion"] == "42"


def test_apply_shares_refuses_shares_that_do_not_add_up():
    split = _split("v1alpha4", 1, 1)
    with pytest.raises(WeightError):
        apply_shares(split, {"web-0": Fraction(3, 4), "web-1": Fraction(1, 2)})
    with pytest.raises(WeightError):
        apply_shares(split, {"web-0": Fraction(1, 2), "web-1": Fraction(1, 4)})


weights = st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=6)
# What v1alpha1 quantity weights are: decimal, here down to milli-units (`1500m`, `0m`, `7`).
milli_weights = st.lists(
    st.integers(min_value=0, max_value=10**6).map(lambda milli: Fraction(milli, 1000)), min_size=1, max_size=6
)


@given(weights)
def test_shares_sum_to_exactly_one(values):
    assume(any(values))
    assert sum(effective_shares(values)) == 1


@given(weights, st.integers(min_value=1, max_value=10**6))
def test_shares_do_not_change_when_every_weight_is_scaled(values, factor):
    assume(any(values))
    assert effective_shares(values) == effective_shares([value * factor for value in values])


@given(milli_weights)
def test_integer_weights_have_the_same_shares_as_the_exact_weights(values):
    assume(any(values))
    integers = integer_weights(values)
    assert all(isinstance(number, int) for number in integers)
    assert effective_shares(integers) == effective_shares(values)


@given(milli_weights)
def test_converting_a_v1alpha1_split_to_every_integer_version_keeps_its_shares(values):
    assume(any(values))
    split = _split("v1alpha1", *values)
    for version in ("v1alpha2", "v1alpha3", "v1alpha4"):
        written = serialize(split, version)
        assert all(isinstance(b["weight"], int) for b in written["spec"]["backends"])
        assert effective_shares([b.weight for b in parse(written).backends]) == effective_shares(values)


@given(weights, st.integers(min_value=0, max_value=100))
def test_apply_shares_gives_exactly_the_requested_share(values, percent):
    assume(len(values) >= 2 and any(values[1:]))
    split = _split("v1alpha4", *values)
    new = apply_shares(split, {"web-0": Fraction(percent, 100)})
    assert split_shares(new)["web-0"] == Fraction(percent, 100)
    others_before = [Fraction(v) for v in values[1:]]
    others_after = [b.weight for b in new.backends[1:]]
    if percent < 100:
        assert effective_shares(others_after) == effective_shares(others_before)


# --- the weights page's quick actions, computed on the server ------------------------------------


def test_spreading_evenly_over_thirds_is_exact_and_adds_up_to_the_scale():
    thirds = [Fraction(1, 3)] * 3
    assert rebalance(thirds, [False] * 3, "even", scale=100) == [33, 33, 34]
    assert rebalance(thirds, [False] * 3, "even", scale=100, integers=False) == [Fraction(100, 3)] * 3
    assert sum(rebalance(thirds, [False] * 3, "even", scale=1000)) == 1000


def test_spreading_evenly_leaves_a_locked_third_alone_and_never_exceeds_the_scale():
    weights = rebalance([Fraction(1, 3), 50, 50], [True, False, False], "even", scale=100)
    assert weights == [Fraction(1, 3), 49, 50]
    assert sum(weights) <= 100
    exact = rebalance([Fraction(1, 3), 50, 50], [True, False, False], "even", scale=100, integers=False)
    assert exact == [Fraction(1, 3), Fraction(299, 6), Fraction(299, 6)]
    assert sum(exact) == 100


def test_promote_sends_everything_to_the_last_unlocked_backend_and_roll_back_to_the_first():
    thirds = [Fraction(1, 3)] * 3
    assert rebalance(thirds, [False] * 3, "promote", scale=100) == [0, 0, 100]
    assert rebalance(thirds, [False] * 3, "rollback", scale=100) == [100, 0, 0]
    assert rebalance(thirds, [False, False, True], "promote", scale=100) == [0, 100, Fraction(1, 3)]


def test_a_quick_action_refuses_what_it_cannot_mean():
    with pytest.raises(WeightError):
        rebalance([1, 2], [False], "even", scale=100)
    with pytest.raises(WeightError):
        rebalance([1, 2], [False, False], "shuffle", scale=100)
