"""Kubernetes resource quantities (`500m`, `1k`, `1Ki`, `1e3`), parsed and formatted exactly.

TrafficSplit v1alpha1 weights and TrafficMetrics values are quantities. Floats would turn
`100m` into 0.1000000000000000055 and make shares that should sum to one not sum to one,
so every value here is a `fractions.Fraction`.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Literal

QuantityFormat = Literal["DecimalSI", "BinarySI", "DecimalExponent"]

_DECIMAL_SUFFIXES: dict[str, int] = {
    "n": -9,
    "u": -6,
    "m": -3,
    "": 0,
    "k": 3,
    "M": 6,
    "G": 9,
    "T": 12,
    "P": 15,
    "E": 18,
}
_BINARY_SUFFIXES: dict[str, int] = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}
# Exponents this far out are typos or attacks, and 10**huge would never finish computing.
_MAX_EXPONENT = 100

_QUANTITY_RE = re.compile(r"(?P<sign>[+-]?)(?P<number>[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?P<suffix>.*)", re.ASCII)
_EXPONENT_RE = re.compile(r"[eE](?P<exp>[+-]?[0-9]+)", re.ASCII)

# What a non-negative quantity string looks like, for JSON schemas (no exponent bound check).
QUANTITY_PATTERN = (
    r"^[+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)"
    r"([numkMGTPE]|Ki|Mi|Gi|Ti|Pi|Ei|[eE][+-]?[0-9]+)?$"
)


class InvalidQuantity(ValueError):
    """The value is not a Kubernetes quantity (or cannot be written as one exactly)."""

    def __init__(self, value: object, reason: str) -> None:
        self.value = value
        self.reason = reason
        super().__init__(f"{value!r} is not a valid quantity: {reason}")


@dataclass(frozen=True)
class Quantity:
    """An exact quantity and the suffix family it was written in (kept when formatting back)."""

    value: Fraction
    format: QuantityFormat = "DecimalSI"

    def __str__(self) -> str:
        return format_quantity(self.value, self.format)


def parse_quantity(raw: object) -> Quantity:
    """Parse a quantity as found in a manifest: a string (`500m`, `1Ki`, `1e3`) or a YAML number.

    Numbers are read through their shortest decimal spelling, so a YAML `1.5` is exactly 3/2.
    Booleans, NaN and infinities are refused, as the apiserver refuses them.
    """
    if isinstance(raw, bool):
        raise InvalidQuantity(raw, "a boolean is not a quantity")
    if isinstance(raw, int):
        return Quantity(Fraction(raw))
    if isinstance(raw, float):
        if not math.isfinite(raw):
            raise InvalidQuantity(raw, "not a finite number")
        return Quantity(Fraction(Decimal(repr(raw))))
    if isinstance(raw, Decimal):
        if not raw.is_finite():
            raise InvalidQuantity(raw, "not a finite number")
        return Quantity(Fraction(raw))
    if isinstance(raw, Fraction):
        return Quantity(raw)
    if not isinstance(raw, str):
        raise InvalidQuantity(raw, f"expected a string or a number, got {type(raw).__name__}")
    return _parse_string(raw)


def quantity_value(raw: object) -> Fraction:
    """The exact numeric value of a quantity (see `parse_quantity`)."""
    return parse_quantity(raw).value


def is_quantity(raw: object) -> bool:
    try:
        parse_quantity(raw)
    except InvalidQuantity:
        return False
    return True


def _parse_string(text: str) -> Quantity:
    match = _QUANTITY_RE.fullmatch(text)
    if not match:
        raise InvalidQuantity(text, "expected a number followed by an optional suffix")
    try:
        number = Fraction(Decimal(match["number"]))
    except InvalidOperation:  # pragma: no cover - the regex only lets decimal digits through
        raise InvalidQuantity(text, "unreadable number") from None
    if match["sign"] == "-":
        number = -number
    suffix = match["suffix"]
    if suffix in _DECIMAL_SUFFIXES:
        return Quantity(number * Fraction(10) ** _DECIMAL_SUFFIXES[suffix], "DecimalSI")
    if suffix in _BINARY_SUFFIXES:
        return Quantity(number * 2 ** _BINARY_SUFFIXES[suffix], "BinarySI")
    exponent = _EXPONENT_RE.fullmatch(suffix)
    if exponent:
        exp = int(exponent["exp"])
        if abs(exp) > _MAX_EXPONENT:
            raise InvalidQuantity(text, f"exponent {exp} is out of range")
        return Quantity(number * Fraction(10) ** exp, "DecimalExponent")
    raise InvalidQuantity(text, f"unknown suffix {suffix!r}")


def format_quantity(value: Fraction | int, fmt: QuantityFormat = "DecimalSI") -> str:
    """The canonical Kubernetes spelling of an exact value: `500m`, `1k`, `1500`, `1Ki`, `1e3`.

    Like the apiserver, the largest suffix that keeps the number whole is chosen. A value with
    no exact spelling (1/3, or finer than a nano-unit) raises `InvalidQuantity` instead of
    being rounded: a weight that silently changed would change the traffic split.
    """
    value = Fraction(value)
    if value == 0:
        return "0"
    sign = "-" if value < 0 else ""
    magnitude = abs(value)
    if fmt == "BinarySI" and magnitude.denominator == 1:
        number = magnitude.numerator
        for suffix, power in sorted(_BINARY_SUFFIXES.items(), key=lambda item: -item[1]):
            if number % (2**power) == 0:
                return f"{sign}{number // 2**power}{suffix}"
        return f"{sign}{number}"
    mantissa, exponent = _decimal_mantissa(magnitude)
    if fmt == "DecimalExponent":
        return f"{sign}{mantissa}" if exponent == 0 else f"{sign}{mantissa}e{exponent}"
    suffix = {power: name for name, power in _DECIMAL_SUFFIXES.items()}[exponent]
    return f"{sign}{mantissa}{suffix}"


def _decimal_mantissa(magnitude: Fraction) -> tuple[int, int]:
    """(m, e) with magnitude == m * 10**e, e a multiple of 3 in [-9, 18], as large as possible."""
    for exponent in range(18, -10, -3):
        scaled = magnitude / Fraction(10) ** exponent
        if scaled.denominator == 1:
            return scaled.numerator, exponent
    raise InvalidQuantity(magnitude, "has no exact decimal spelling down to nano-units (1n)")
