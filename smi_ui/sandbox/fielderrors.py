"""Field errors worded exactly like k8s.io/apimachinery's `field.Error`.

Clients (kubectl, our own writer) show these strings to people and some parse the
`details.causes`, so the wording, the value quoting and the cause reasons must match
the real API server byte for byte.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

OMIT = object()  # the error carries no value (Go's omitValue)

# error type -> (cause reason, human prefix)
_TYPES: dict[str, tuple[str, str]] = {
    "Required": ("FieldValueRequired", "Required value"),
    "Invalid": ("FieldValueInvalid", "Invalid value"),
    "TypeInvalid": ("FieldValueTypeInvalid", "Invalid value"),
    "NotSupported": ("FieldValueNotSupported", "Unsupported value"),
    "Duplicate": ("FieldValueDuplicate", "Duplicate value"),
    "Forbidden": ("FieldValueForbidden", "Forbidden"),
    "TooLong": ("FieldValueTooLong", "Too long"),
    "TooMany": ("FieldValueTooMany", "Too many"),
    "NotFound": ("FieldValueNotFound", "Not found"),
}
_VALUELESS = {"Required", "Forbidden", "TooLong"}


def go_quote(text: str) -> str:
    """Go's %q for a string (close enough: JSON escaping of a unicode string)."""
    return json.dumps(text, ensure_ascii=False)


def go_value(value: Any) -> str:
    """How `field.Error` prints a bad value: %v for scalars, %q for strings."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return go_quote(value)
    if isinstance(value, float):
        return go_float(value)
    if isinstance(value, int):
        return str(value)
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


def go_float(value: float) -> str:
    """Go's %v for a float64: shortest digits, exponent form below 1e-4 and from 1e+06 on."""
    if value != value:
        return "NaN"
    if value in (float("inf"), float("-inf")):
        return "+Inf" if value > 0 else "-Inf"
    if value == 0:
        return "0"
    _, digit_tuple, exp = Decimal(repr(value)).as_tuple()
    digits = "".join(map(str, digit_tuple))
    point = len(digits) + int(exp)  # position of the decimal point after the first digit run
    digits = digits.rstrip("0") or "0"
    sign = "-" if value < 0 else ""
    decimal_exponent = point - 1
    if decimal_exponent < -4 or decimal_exponent >= 6:
        mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        return f"{sign}{mantissa}e{'-' if decimal_exponent < 0 else '+'}{abs(decimal_exponent):02d}"
    if point <= 0:
        return f"{sign}0.{'0' * -point}{digits}"
    if point >= len(digits):
        return sign + digits + "0" * (point - len(digits))
    return f"{sign}{digits[:point]}.{digits[point:]}"


@dataclass(frozen=True)
class FieldError:
    """One invalid field: its JSON path (`spec.backends[0].weight`), what is wrong, why."""

    type: str
    field: str
    bad_value: Any = OMIT
    detail: str = ""

    @property
    def reason(self) -> str:
        return _TYPES[self.type][0]

    def body(self) -> str:
        """`Required value`, `Invalid value: "x": detail` - the cause message."""
        prefix = _TYPES[self.type][1]
        if self.type in _VALUELESS or self.bad_value is OMIT:
            text = prefix
        else:
            text = f"{prefix}: {go_value(self.bad_value)}"
        if self.detail:
            text += f": {self.detail}"
        return text

    def __str__(self) -> str:
        return f"{self.field}: {self.body()}"

    def as_cause(self) -> dict[str, str]:
        return {"reason": self.reason, "message": self.body(), "field": self.field}


def required(field: str, detail: str = "") -> FieldError:
    return FieldError("Required", field, OMIT, detail)


def invalid(field: str, value: Any, detail: str) -> FieldError:
    return FieldError("Invalid", field, value, detail)


def type_invalid(field: str, value: Any, detail: str) -> FieldError:
    return FieldError("TypeInvalid", field, value, detail)


def not_supported(field: str, value: Any, allowed: list[str]) -> FieldError:
    detail = "supported values: " + ", ".join(go_quote(v) for v in allowed) if allowed else ""
    return FieldError("NotSupported", field, value, detail)


def too_long(field: str, max_length: int) -> FieldError:
    return FieldError("TooLong", field, OMIT, f"may not be more than {max_length} bytes")


def too_many(field: str, actual: int, max_items: int) -> FieldError:
    return FieldError("TooMany", field, actual, f"must have at most {max_items} items")


def aggregate(errors: list[FieldError]) -> str:
    """utilerrors.NewAggregate(...).Error(): one message, or `[a, b]` for several (deduplicated)."""
    messages: list[str] = []
    for error in errors:
        text = str(error)
        if text not in messages:
            messages.append(text)
    if len(messages) == 1:
        return messages[0]
    return "[" + ", ".join(messages) + "]"
