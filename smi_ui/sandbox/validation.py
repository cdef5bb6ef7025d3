"""Object validation at write time: metadata rules, the CRD schema, a few built-in kind rules.

Produces the field errors that become a 422 `Invalid` Status, in upstream's order:
ObjectMeta first, then the schema (custom resources) or the kind's own checks.
"""

from __future__ import annotations

from typing import Any

from . import fielderrors as fe
from .crds import validate_crd
from .fielderrors import FieldError
from .objectmeta import validate_metadata, validate_metadata_update
from .resources import ResourceType
from .schema_validation import validate as validate_schema


def validate_object(resource_type: ResourceType, obj: dict[str, Any], old: dict[str, Any] | None) -> list[FieldError]:
    metadata = obj.get("metadata") or {}
    errors = validate_metadata_update(metadata, old.get("metadata") or {}) if old is not None else []
    errors.extend(validate_metadata(metadata, resource_type.namespaced, resource_type.name_rule))
    if resource_type.custom:
        errors.extend(validate_schema(obj, resource_type.schema))
    else:
        check = BUILTIN_CHECKS.get(resource_type.kind)
        if check is not None:
            errors.extend(check(obj, old))
    return errors


def _service(obj: dict[str, Any], old: dict[str, Any] | None) -> list[FieldError]:
    spec = obj.get("spec") or {}
    errors: list[FieldError] = []
    kind = spec.get("type", "ClusterIP")
    if kind not in ("ClusterIP", "NodePort", "LoadBalancer", "ExternalName"):
        errors.append(fe.not_supported("spec.type", kind, ["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"]))
    if kind != "ExternalName" and spec.get("clusterIP") != "None" and not spec.get("ports"):
        errors.append(fe.required("spec.ports"))
    for index, port in enumerate(spec.get("ports") or []):
        number = port.get("port") if isinstance(port, dict) else None
        if not isinstance(number, int) or not 1 <= number <= 65535:
            errors.append(fe.invalid(f"spec.ports[{index}].port", number if number is not None else 0,
                                     "must be between 1 and 65535, inclusive"))
    old_ip = ((old or {}).get("spec") or {}).get("clusterIP")
    if old is not None and old_ip and spec.get("clusterIP") not in (old_ip, None, ""):
        errors.append(fe.invalid("spec.clusterIPs[0]", spec.get("clusterIP"),
                                 "may not change once set"))
    return errors


def _deployment(obj: dict[str, Any], old: dict[str, Any] | None) -> list[FieldError]:
    spec = obj.get("spec") or {}
    errors: list[FieldError] = []
    selector = spec.get("selector")
    template_labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels") or {}
    if not selector:
        errors.append(fe.required("spec.selector"))
    else:
        match_labels = selector.get("matchLabels") or {}
        if not match_labels and not selector.get("matchExpressions"):
            errors.append(fe.invalid("spec.selector", selector, "empty selector is invalid for deployment"))
        elif any(template_labels.get(k) != v for k, v in match_labels.items()):
            errors.append(fe.invalid("spec.template.metadata.labels", template_labels,
                                     "`selector` does not match template `labels`"))
    containers = ((spec.get("template") or {}).get("spec") or {}).get("containers")
    if not containers:
        errors.append(fe.required("spec.template.spec.containers"))
    old_selector = ((old or {}).get("spec") or {}).get("selector")
    if old is not None and old_selector and selector != old_selector:
        errors.append(fe.invalid("spec.selector", selector, "field is immutable"))
    return errors


def _pod(obj: dict[str, Any], old: dict[str, Any] | None) -> list[FieldError]:
    if not (obj.get("spec") or {}).get("containers"):
        return [fe.required("spec.containers")]
    return []


def _crd(obj: dict[str, Any], old: dict[str, Any] | None) -> list[FieldError]:
    return validate_crd(obj)


BUILTIN_CHECKS = {"Service": _service, "Deployment": _deployment, "Pod": _pod, "CustomResourceDefinition": _crd}
