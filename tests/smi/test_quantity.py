"""Kubernetes quantities are parsed and formatted exactly."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smi_ui.smi.quantity import InvalidQuantity, Quantity, format_quantity, parse_quantity, quantity_value


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("500m", Fraction(1, 2)),
        ("1", Fraction(1)),
        (90, Fraction(90)),
        (1.5, Fraction(3, 2)),
        ("1.5", Fraction(3, 2)),
        ("1k", Fraction(1000)),
        ("1Ki", Fraction(1024)),
        ("1e3", Fraction(1000)),
        ("1E3", Fraction(1000)),
        ("2.5e-3", Fraction(1, 400)),
        ("1E", Fraction(10**18)),
        ("0m", Fraction(0)),
        ("10u", Fraction(1, 100_000)),
        ("3n", Fraction(3, 10**9)),
        (".5", Fraction(1, 2)),
        ("5.", Fraction(5)),
        ("+2", Fraction(2)),
        ("-250m", Fraction(-1, 4)),
        (0.1, Fraction(1, 10)),
    ],
)
def test_parses_every_spelling_to_its_exact_value(raw, expected):
    assert quantity_value(raw) == expected


def test_a_tenth_is_exactly_a_tenth_not_a_float_approximation():
    assert quantity_value("100m") * 10 == 1
    assert quantity_value(0.1) + quantity_value(0.2) == quantity_value("300m")


@pytest.mark.parametrize(
    "raw", ["", "m", "1.2.3", "1 k", "1kk", "1ki", "one", "1e", "0x10", "1e1000", True, None, [], float("nan")]
)
def test_rejects_what_is_not_a_quantity_with_a_clear_error(raw):
    with pytest.raises(InvalidQuantity) as caught:
        parse_quantity(raw)
    assert repr(raw) in str(caught.value)


@pytest.mark.parametrize(
    ("value", "fmt", "text"),
    [
        (Fraction(1, 2), "DecimalSI", "500m"),
        (Fraction(3, 2), "DecimalSI", "1500m"),
        (Fraction(1000), "DecimalSI", "1k"),
        (Fraction(1500), "DecimalSI", "1500"),
        (Fraction(0), "DecimalSI", "0"),
        (Fraction(-1, 4), "DecimalSI", "-250m"),
        (Fraction(1024), "BinarySI", "1Ki"),
        (Fraction(1536), "BinarySI", "1536"),
        (Fraction(1, 2), "BinarySI", "500m"),
        (Fraction(1000), "DecimalExponent", "1e3"),
        (Fraction(1, 1000), "DecimalExponent", "1e-3"),
    ],
)
def test_formats_the_canonical_kubernetes_spelling(value, fmt, text):
    assert format_quantity(value, fmt) == text


def test_refuses_to_round_a_value_without_an_exact_spelling():
    with pytest.raises(InvalidQuantity):
        format_quantity(Fraction(1, 3))
    with pytest.raises(InvalidQuantity):
        format_quantity(Fraction(1, 10**12))


def test_remembers_the_suffix_family_it_was_written_in():
    assert parse_quantity("2Mi") == Quantity(Fraction(2 * 2**20), "BinarySI")
    assert str(parse_quantity("2Mi")) == "2Mi"
    assert str(parse_quantity("1e6")) == "1e6"


exact_decimals = st.builds(
    lambda mantissa, exponent: Fraction(mantissa) * Fraction(10) ** exponent,
    st.integers(min_value=-(10**15), max_value=10**15),
    st.integers(min_value=-9, max_value=12),
)


@given(exact_decimals, st.sampled_from(["DecimalSI", "DecimalExponent", "BinarySI"]))
def test_formatting_then_parsing_gives_back_the_same_value(value, fmt):
    assert quantity_value(format_quantity(value, fmt)) == value


@given(st.decimals(allow_nan=False, allow_infinity=False, places=6, min_value=-(10**9), max_value=10**9))
def test_decimal_strings_parse_exactly(number):
    assert quantity_value(str(number)) == Fraction(Decimal(str(number)))
