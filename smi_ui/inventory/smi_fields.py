"""Version-neutral fields of a synced SMI object, through the SMI model.

Stored beside the raw object so pages, filters and policy read one shape whatever
version the cluster serves; problems (validation errors, unsupported versions) are
kept too, so a broken object is shown as broken instead of being dropped.
"""

from __future__ import annotations

import dataclasses
from fractions import Fraction
from typing import Any

from smi_ui.smi.codec import parse
from smi_ui.smi.errors import InvalidManifest, UnsupportedAPIVersion
from smi_ui.smi.shares import WeightError, weighted_shares
from smi_ui.smi.validate import validate_manifest


def smi_fields(obj: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, str]]]:
    """(normalized fields, problems) for one SMI object as served."""
    try:
        model = parse(obj)
    except UnsupportedAPIVersion as error:
        return {}, [{"path": "apiVersion", "code": "unsupported", "message": str(error)}]
    except InvalidManifest as error:
        return {}, [dataclasses.asdict(e) for e in error.errors]
    problems = [dataclasses.asdict(e) for e in validate_manifest(obj)]
    fields = _jsonable({f.name: getattr(model, f.name) for f in dataclasses.fields(model)
                        if f.name not in {"metadata", "source", "version"}})
    if model.INFO.has("weighted"):
        try:
            shares = weighted_shares(model)
            fields["shares"] = {service: {"exact": str(share), "percent": round(float(share) * 100, 2)}
                                for service, share in shares.items()}
        except WeightError as error:
            fields["shares"] = {}
            problems.append({"path": "spec.backends", "code": "weights", "message": str(error)})
    return fields, problems


def _jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Fraction):
        return int(value) if value.denominator == 1 else str(value)
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value
