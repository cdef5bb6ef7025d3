"""Request bodies to objects: JSON/YAML parsing and the custom-resource decode step.

Mirrors where kube-apiserver reports what: unparsable bodies and unknown fields under
`fieldValidation=Strict` are 400s raised while decoding (before admission), unknown
fields under `Warn` become `Warning` headers, and the object is pruned either way.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import yaml

from . import protobuf, structural
from .objectmeta import check_types
from .resources import ResourceType
from .status import ApiError, bad_request, cannot_be_handled

VALIDATION_MODES = ("Ignore", "Warn", "Strict")


def parse_json(body: bytes, what: str = "object") -> Any:
    try:
        return json.loads(body or b"null")
    except (ValueError, UnicodeDecodeError) as error:
        raise bad_request(f"couldn't get version/kind; json parse error: {error}") from None


def parse_body(body: bytes, content_type: str) -> Any:
    """Decode a request body sent as JSON, YAML or (for a few built-in kinds) protobuf."""
    media = content_type.split(";")[0].strip().lower()
    if media == protobuf.PROTOBUF:
        return protobuf.decode(body)
    if media in ("application/yaml", "application/apply-patch+yaml"):
        try:
            return yaml.safe_load(body.decode("utf-8") or "null")
        except (yaml.YAMLError, UnicodeDecodeError) as error:
            raise bad_request(f"error decoding YAML: {error}") from None
    return parse_json(body)


@dataclass
class Decoded:
    """A decoded object plus what decoding dropped (for `Warning` headers)."""

    object: dict[str, Any]
    warnings: list[str] = field(default_factory=list)


def strict_message(unknown: list[str]) -> str:
    return "strict decoding error: " + ", ".join(f'unknown field "{path}"' for path in unknown)


def decode_object(resource_type: ResourceType, obj: Any, validation: str, *, patch: bool = False) -> Decoded:
    """Type-check metadata, prune unknown fields (custom resources), honour fieldValidation.

    `patch=True` words strict failures as the PATCH handler does (no "cannot be handled as").
    """
    if not isinstance(obj, dict):
        raise cannot_be_handled(resource_type.kind, resource_type.version,
                                "json: cannot unmarshal into Go value of type map[string]interface {}")
    problem = check_types(obj.get("metadata", {}))
    if problem:
        raise _decode_error(resource_type, problem, patch)
    unknown: list[str] = []
    if resource_type.custom:
        unknown = structural.prune(obj, resource_type.schema)
        unknown += structural.prune_metadata(obj)
        structural.prune_non_nullable_nulls(obj, resource_type.schema)
        structural.apply_defaults(obj, resource_type.schema)
    decoded = Decoded(obj)
    if unknown:
        if validation == "Strict":
            raise _decode_error(resource_type, strict_message(unknown), patch)
        if validation == "Warn":
            decoded.warnings = [f'unknown field "{path}"' for path in unknown]
    return decoded


def _decode_error(resource_type: ResourceType, why: str, patch: bool) -> ApiError:
    if patch:
        return bad_request(why)
    return cannot_be_handled(resource_type.kind, resource_type.version, why)
