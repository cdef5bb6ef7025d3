"""Checking documents against CRD `openAPIV3Schema`s with the jsonschema library, as an apiserver would."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import jsonschema

from smi_ui.smi.schema import unknown_fields


def openapi_to_json_schema(schema: Any) -> Any:
    """An OpenAPI v3 structural schema as JSON Schema: int-or-string becomes integer|string."""
    if isinstance(schema, list):
        return [openapi_to_json_schema(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out = {
        key: openapi_to_json_schema(value)
        for key, value in schema.items()
        if not key.startswith("x-kubernetes-") and key != "description"
    }
    if schema.get("x-kubernetes-int-or-string"):
        out.pop("type", None)
        out["anyOf"] = [{"type": "integer"}, {"type": "string"}]
    if schema.get("nullable"):
        out.pop("nullable")
        if "type" in out:
            out["type"] = [out["type"], "null"]
    return out


@cache
def _validator(schema_json: str) -> jsonschema.Draft7Validator:
    return jsonschema.Draft7Validator(openapi_to_json_schema(json.loads(schema_json)))


def crd_verdict(schema: dict[str, Any], document: dict[str, Any]) -> str:
    """`bad-request` (unknown fields, strict decoding), `invalid` (schema errors) or `accepted`."""
    if unknown_fields(schema, document):
        return "bad-request"
    validator = _validator(json.dumps(schema, sort_keys=True))
    return "invalid" if next(validator.iter_errors(document), None) is not None else "accepted"


def verdict_kind(verdict: str) -> str:
    return "accept" if verdict == "accepted" else "reject"
