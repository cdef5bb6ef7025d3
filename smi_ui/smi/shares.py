"""Weight maths of TrafficSplits: weights are relative, so only their ratios matter.

A backend's share is weight / sum(weights), whatever the version: v1alpha1 `{900m, 100m}`,
`{9, 1}` and `{90, 10}` all send 90 % to the first backend. Everything is exact
(`Fraction`), so shares sum to exactly one and a rewrite never drifts.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import replace
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from .model import Backend

if TYPE_CHECKING:
    from .kinds.traffic_split import TrafficSplit

# Go controllers decode weights into int; stay inside int32 so every mesh can read them.
MAX_INTEGER_WEIGHT = 2**31 - 1


class WeightError(ValueError):
    """Weights that do not describe a split: negative, missing, all zero, or unknown backends."""


def effective_shares(weights: Sequence[Fraction | int]) -> list[Fraction]:
    """Each weight divided by the sum of all weights; refuses negative weights and an all-zero split."""
    values = [Fraction(weight) for weight in weights]
    if any(value < 0 for value in values):
        raise WeightError("weights must not be negative")
    total = sum(values, Fraction(0))
    if total == 0:
        raise WeightError("all weights are zero: the split sends traffic nowhere")
    return [value / total for value in values]


def split_shares(split: TrafficSplit) -> dict[str, Fraction]:
    """The share of traffic each backend Service receives (a Service listed twice gets both shares)."""
    backends = split.backends or []
    if any(backend.weight is None or backend.service is None for backend in backends):
        raise WeightError("every backend needs a service and a weight")
    shares: dict[str, Fraction] = {}
    for backend, share in zip(backends, effective_shares([b.weight for b in backends]), strict=True):
        shares[backend.service] = shares.get(backend.service, Fraction(0)) + share
    return shares


def weighted_shares(obj: Any) -> dict[str, Fraction]:
    """The share of traffic each backend receives, for any kind with the weighted-backends trait.

    A kind with one weight group (TrafficSplit) answers {service: share}; with several (one per
    route rule), each group's shares are keyed `group:service`. Raises WeightError like
    `split_shares`, and KeyError for a kind without the trait.
    """
    weighted = obj.INFO.traits.weighted
    if weighted is None:
        raise KeyError(f"{obj.INFO.kind} has no weighted backends")
    groups = weighted.groups(obj)
    shares: dict[str, Fraction] = {}
    for group in groups:
        if None in group.services or None in group.weights:
            raise WeightError("every backend needs a service and a weight")
        for service, share in zip(group.services, effective_shares(list(group.weights)), strict=True):
            key = service if len(groups) == 1 else f"{group.key}:{service}"
            shares[key] = shares.get(key, Fraction(0)) + share
    return shares


def integer_weights(weights: Sequence[Fraction | int]) -> list[int]:
    """Integer weights with exactly the same ratios.

    Whole weights are kept as they are; otherwise the result is the smallest integers with
    the same ratios (`{500m, 1500m}` -> `{1, 3}`). Refuses (WeightError) when those integers
    would not fit an int32, rather than rounding and changing the split.
    """
    values = [Fraction(weight) for weight in weights]
    if all(value.denominator == 1 for value in values):
        result = [int(value) for value in values]
    else:
        scale = math.lcm(*(value.denominator for value in values))
        scaled = [int(value * scale) for value in values]
        divisor = math.gcd(*scaled) or 1
        result = [number // divisor for number in scaled]
    if any(abs(number) > MAX_INTEGER_WEIGHT for number in result):
        raise WeightError(f"these ratios need weights above {MAX_INTEGER_WEIGHT}: {result}")
    return result


def apply_weights(split: TrafficSplit, weights: Mapping[str, Fraction | int]) -> TrafficSplit:
    """A copy of the split with new weights for the named backends; the others keep theirs.

    Weights are in the split's own units (integers for v1alpha2+, any exact value for v1alpha1).
    """
    _check_known(split, weights)
    for service, weight in weights.items():
        if Fraction(weight) < 0:
            raise WeightError(f"weight of {service!r} must not be negative")
        if split.version != "v1alpha1" and Fraction(weight).denominator != 1:
            raise WeightError(f"{split.version} weights are integers; {service!r} got {weight}")
    backends = [
        replace(backend, weight=Fraction(weights[backend.service])) if backend.service in weights else replace(backend)
        for backend in split.backends or []
    ]
    new = replace(split, backends=backends)
    effective_shares([b.weight if b.weight is not None else 0 for b in backends])
    return new


def apply_shares(split: TrafficSplit, shares: Mapping[str, Fraction | int]) -> TrafficSplit:
    """A copy of the split where the named backends get exactly these shares of the traffic.

    The other backends share the rest in their current proportions (equally if they all
    weigh zero). The new weights are integers totalling 100 or 1000 when the shares allow
    it (what people read as percentages or per-mille), else the smallest exact integers.
    """
    _check_known(split, shares)
    wanted = {service: Fraction(share) for service, share in shares.items()}
    if any(share < 0 or share > 1 for share in wanted.values()):
        raise WeightError("shares must be between 0 and 1")
    backends = split.backends or []
    others = [b for b in backends if b.service not in wanted]
    rest = 1 - sum(wanted.values(), Fraction(0))
    if rest < 0:
        raise WeightError("the requested shares add up to more than 1")
    if not others and rest != 0:
        raise WeightError("the requested shares must add up to 1 when they cover every backend")
    if any(b.weight is None for b in others):
        raise WeightError("every other backend needs a weight")
    others_total = sum((b.weight for b in others), Fraction(0))
    exact: list[Fraction] = []
    for backend in backends:
        if backend.service in wanted:
            exact.append(wanted[backend.service])
        elif others_total > 0:
            exact.append(rest * backend.weight / others_total)
        else:
            exact.append(rest / len(others))
    if sum(exact, Fraction(0)) == 0:
        raise WeightError("all weights are zero: the split sends traffic nowhere")
    scale = math.lcm(*(share.denominator for share in exact))
    for total in (100, 1000):
        if total % scale == 0:
            scale = total
            break
    new_weights = integer_weights([share * scale for share in exact])
    return replace(
        split,
        backends=[replace(b, weight=Fraction(w)) for b, w in zip(backends, new_weights, strict=True)],
    )


def _check_known(split: TrafficSplit, services: Mapping[str, object]) -> None:
    known = {backend.service for backend in split.backends or []}
    unknown = sorted(set(services) - known)
    if unknown:
        raise WeightError(f"not backends of {split.name or 'this split'}: {', '.join(unknown)}")


def backend(service: str, weight: Fraction | int) -> Backend:
    """A backend with an exact weight (shorthand for building splits in code and tests)."""
    return Backend(service=service, weight=Fraction(weight))


# --- the weights page's quick actions ---------------------------------------------------------

#: What the weights page's buttons do: spread evenly, all to the newest (canary), all to the first (stable).
REBALANCE_ACTIONS = ("even", "promote", "rollback")


def rebalance(weights: Sequence[Fraction | int], locked: Sequence[bool], action: str, *, scale: int,
              integers: bool = True) -> list[Fraction]:
    """New weights for the page's quick actions, computed exactly; locked backends keep theirs.

    - `even`: the unlocked backends share what the locked ones leave of `scale` equally;
    - `promote`: the last unlocked backend gets `scale`, the other unlocked ones 0;
    - `rollback`: the first unlocked backend gets `scale`, the other unlocked ones 0.

    With `integers` (every version but split v1alpha1), an even share that is not whole is
    apportioned by largest remainder, ties to the later backends (`100/3` -> 33, 33, 34),
    so the unlocked weights add up to the whole part of what is left, never more.
    """
    values = [Fraction(weight) for weight in weights]
    if len(locked) != len(values):
        raise WeightError(f"{len(locked)} lock flags for {len(values)} backends")
    if any(value < 0 for value in values) or scale <= 0:
        raise WeightError("weights must not be negative and the scale must be positive")
    if action not in REBALANCE_ACTIONS:
        raise WeightError(f"unknown action {action!r}; known: {', '.join(REBALANCE_ACTIONS)}")
    free = [index for index, is_locked in enumerate(locked) if not is_locked]
    result = list(values)
    if not free:
        return result
    if action in ("promote", "rollback"):
        chosen = free[-1] if action == "promote" else free[0]
        for index in free:
            result[index] = Fraction(scale if index == chosen else 0)
        return result
    rest = max(Fraction(0), scale - sum((values[i] for i in range(len(values)) if locked[i]), Fraction(0)))
    if not integers:
        for index in free:
            result[index] = rest / len(free)
        return result
    units = math.floor(rest)
    base, extra = divmod(units, len(free))
    for position, index in enumerate(free):
        result[index] = Fraction(base + (1 if position >= len(free) - extra else 0))
    return result
