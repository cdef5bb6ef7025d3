"""OpenAPI v3 schema validation of custom resources, as kube-apiserver words it.

A port of the parts of kube-openapi's `validate.SchemaValidator` that CRD schemas use,
plus apiextensions' conversion of its results to field errors
(`kubeOpenAPIResultToFieldErrors`): `required` -> `Required value`, wrong types ->
`Invalid value: "string": spec.x in body must be of type integer: "string"`, enums ->
`Unsupported value`, the rest -> `Invalid value` with go-openapi's sentence.
Runs on an already pruned object (see `structural.py`).
"""

from __future__ import annotations

import json
import re
from typing import Any

from smi_ui.smi.errors import type_name

from . import fielderrors as fe
from .fielderrors import FieldError, go_float

Schema = dict[str, Any]


def validate(obj: Any, schema: Schema | None) -> list[FieldError]:
    """All schema violations of `obj`, in the order the validators find them."""
    if not schema:
        return []
    errors: list[FieldError] = []
    _validate(obj, schema, "", errors)
    return errors


def json_type(value: Any) -> str:
    """The JSON schema type name go-openapi infers for a decoded value."""
    return type_name(value)


def _types(schema: Schema) -> list[str]:
    declared = schema.get("type")
    if schema.get("x-kubernetes-int-or-string"):
        return ["integer", "string"]
    if declared is None:
        return []
    return [declared] if isinstance(declared, str) else list(declared)


def _field(path: str) -> str:
    return path.removeprefix(".")


def _type_matches(value: Any, types: list[str]) -> bool:
    actual = json_type(value)
    if actual in types:
        return True
    if actual == "number" and "integer" in types and float(value).is_integer():
        return True
    return actual == "integer" and "number" in types


def _validate(value: Any, schema: Schema, path: str, errors: list[FieldError]) -> None:
    types = _types(schema)
    field = _field(path)
    if value is None:
        if types and "null" not in types and not schema.get("nullable"):
            _type_error(field, ",".join(types), "null", errors)
        _check_enum(value, schema, field, errors)
        return
    if types and not _type_matches(value, types):
        _type_error(field, ",".join(types), json_type(value), errors)
    _check_combinators(value, schema, path, errors)
    if isinstance(value, str):
        _check_string(value, schema, field, errors)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        _check_number(value, schema, field, errors)
    if isinstance(value, list):
        _check_array(value, schema, path, errors)
    _check_enum(value, schema, field, errors)
    if isinstance(value, dict):
        _check_object(value, schema, path, errors)


def _type_error(field: str, expected: str, actual: str, errors: list[FieldError]) -> None:
    errors.append(fe.type_invalid(field, actual, f'{field} in body must be of type {expected}: "{actual}"'))


def _check_combinators(value: Any, schema: Schema, path: str, errors: list[FieldError]) -> None:
    field = _field(path)
    for sub in schema.get("allOf") or ():
        _validate(value, sub, path, errors)
    any_of = schema.get("anyOf")
    if any_of and not any(not validate_at(value, sub, path) for sub in any_of):
        errors.append(fe.invalid(field, value, f'"{field}" must validate at least one schema (anyOf)'))
    one_of = schema.get("oneOf")
    if one_of:
        matches = sum(1 for sub in one_of if not validate_at(value, sub, path))
        if matches != 1:
            errors.append(fe.invalid(field, value, f'"{field}" must validate one and only one schema (oneOf)'))
    negated = schema.get("not")
    if negated and not validate_at(value, negated, path):
        errors.append(fe.invalid(field, value, f'"{field}" must not validate the schema (not)'))


def validate_at(value: Any, schema: Schema, path: str) -> list[FieldError]:
    errors: list[FieldError] = []
    _validate(value, schema, path, errors)
    return errors


def _check_string(value: str, schema: Schema, field: str, errors: list[FieldError]) -> None:
    length = len(value)
    if "maxLength" in schema and length > schema["maxLength"]:
        errors.append(fe.too_long(field, schema["maxLength"]))
    if "minLength" in schema and length < schema["minLength"]:
        errors.append(fe.invalid(field, value, f"{field} in body should be at least {schema['minLength']} chars long"))
    pattern = schema.get("pattern")
    if pattern and not re.search(pattern, value):
        errors.append(fe.invalid(field, value, f"{field} in body should match '{pattern}'"))


def _number_text(number: float | int) -> str:
    return go_float(number) if isinstance(number, float) else str(number)


def _check_number(value: float | int, schema: Schema, field: str, errors: list[FieldError]) -> None:
    if "maximum" in schema:
        limit = schema["maximum"]
        if schema.get("exclusiveMaximum") and value >= limit:
            errors.append(fe.invalid(field, value, f"{field} in body should be less than {_number_text(limit)}"))
        elif value > limit:
            errors.append(fe.invalid(field, value,
                                     f"{field} in body should be less than or equal to {_number_text(limit)}"))
    if "minimum" in schema:
        limit = schema["minimum"]
        if schema.get("exclusiveMinimum") and value <= limit:
            errors.append(fe.invalid(field, value, f"{field} in body should be greater than {_number_text(limit)}"))
        elif value < limit:
            errors.append(fe.invalid(field, value,
                                     f"{field} in body should be greater than or equal to {_number_text(limit)}"))
    divisor = schema.get("multipleOf")
    if divisor and (value / divisor) != int(value / divisor):
        errors.append(fe.invalid(field, value, f"{field} in body should be a multiple of {_number_text(divisor)}"))


def _check_array(value: list[Any], schema: Schema, path: str, errors: list[FieldError]) -> None:
    field = _field(path)
    if "minItems" in schema and len(value) < schema["minItems"]:
        errors.append(fe.invalid(field, len(value), f"{field} in body should have at least {schema['minItems']} items"))
    if "maxItems" in schema and len(value) > schema["maxItems"]:
        errors.append(fe.too_many(field, len(value), schema["maxItems"]))
    if schema.get("uniqueItems"):
        seen: list[Any] = []
        for item in value:
            if item in seen:
                errors.append(fe.invalid(field, value, f"{field} in body shouldn't contain duplicates"))
                break
            seen.append(item)
    items = schema.get("items")
    if isinstance(items, dict):
        for index, item in enumerate(value):
            _validate(item, items, f"{path}[{index}]", errors)


def _check_enum(value: Any, schema: Schema, field: str, errors: list[FieldError]) -> None:
    allowed = schema.get("enum")
    if allowed is None:
        return
    if any(value == candidate and type(value) is type(candidate) or _same_number(value, candidate)
           for candidate in allowed):
        return
    names = [c if isinstance(c, str) else _json(c) for c in allowed]
    errors.append(fe.not_supported(field, value, names))


def _same_number(a: Any, b: Any) -> bool:
    numbers = (int, float)
    return (isinstance(a, numbers) and isinstance(b, numbers) and not isinstance(a, bool)
            and not isinstance(b, bool) and a == b)


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def _check_object(value: dict[str, Any], schema: Schema, path: str, errors: list[FieldError]) -> None:
    field = _field(path)
    if "minProperties" in schema and len(value) < schema["minProperties"]:
        errors.append(fe.invalid(field, len(value),
                                 f"{field} in body should have at least {schema['minProperties']} properties"))
    if "maxProperties" in schema and len(value) > schema["maxProperties"]:
        errors.append(fe.FieldError("TooMany", field, len(value),
                                    f"must have at most {schema['maxProperties']} items"))
    properties = schema.get("properties") or {}
    extra = schema.get("additionalProperties")
    if extra is False:
        for key in value:
            if key not in properties:
                errors.append(fe.FieldError("Forbidden", _field(f"{path}.{key}"), fe.OMIT,
                                            f"{_field(f'{path}.{key}')} in body is a forbidden property"))
    elif isinstance(extra, dict):
        for key, item in value.items():
            if key not in properties:
                _validate(item, extra, f"{path}.{key}", errors)
    for name, sub in properties.items():
        if name in value:
            _validate(value[name], sub, f"{path}.{name}" if path else name, errors)
    for name in schema.get("required") or ():
        if name not in value:
            errors.append(fe.required(_field(f"{path}.{name}")))
