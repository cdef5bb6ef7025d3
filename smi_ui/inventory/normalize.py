"""Indexed fields derived from a raw object: what pages, filters and policy read.

SMI kinds go through the version-neutral SMI model; the linking kinds (Services,
ServiceAccounts, workloads) keep only what maps a Service to the ServiceAccount its
pods run as.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from smi_ui.smi.kinds import REGISTRY

from .smi_fields import smi_fields


@dataclass
class Normalized:
    normalized: dict[str, Any] = field(default_factory=dict)
    problems: list[dict[str, str]] = field(default_factory=list)


def normalize(obj: dict[str, Any]) -> Normalized:
    kind = obj.get("kind", "")
    if kind in REGISTRY:
        return Normalized(*smi_fields(obj))
    spec = obj.get("spec") or {}
    if kind == "Service":
        return Normalized(
            {
                "selector": spec.get("selector") or {},
                "ports": [
                    {"name": p.get("name", ""), "port": p.get("port"), "protocol": p.get("protocol", "TCP")}
                    for p in spec.get("ports") or []
                ],
            }
        )
    if kind == "Deployment":
        template = spec.get("template") or {}
        return Normalized(
            {
                "selector": (spec.get("selector") or {}).get("matchLabels") or {},
                "pod_labels": (template.get("metadata") or {}).get("labels") or {},
                "service_account": (template.get("spec") or {}).get("serviceAccountName") or "default",
                "replicas": spec.get("replicas", 1),
            }
        )
    if kind == "Pod":
        return Normalized(
            {
                "pod_labels": (obj.get("metadata") or {}).get("labels") or {},
                "service_account": spec.get("serviceAccountName") or "default",
            }
        )
    return Normalized()


def trim_workload(obj: dict[str, Any]) -> dict[str, Any]:
    """A copy of a Deployment or Pod holding only what links Services to ServiceAccounts.

    The rest of a pod template is irrelevant to SMI and can be large.
    """
    kind = obj.get("kind")
    if kind not in {"Deployment", "Pod"}:
        return obj
    trimmed = copy.deepcopy({k: obj[k] for k in ("apiVersion", "kind", "metadata") if k in obj})
    managed = (trimmed.get("metadata") or {}).get("managedFields")
    if managed:  # keep who changed it and when, not the field sets of a large pod template
        trimmed["metadata"]["managedFields"] = [
            {k: v for k, v in entry.items() if k != "fieldsV1"} for entry in managed
        ]
    spec = obj.get("spec") or {}
    if kind == "Deployment":
        template = spec.get("template") or {}
        trimmed["spec"] = {
            "replicas": spec.get("replicas", 1),
            "selector": spec.get("selector") or {},
            "template": {
                "metadata": {"labels": (template.get("metadata") or {}).get("labels") or {}},
                "spec": {"serviceAccountName": (template.get("spec") or {}).get("serviceAccountName") or "default"},
            },
        }
    else:
        trimmed["spec"] = {"serviceAccountName": spec.get("serviceAccountName") or "default"}
    return trimmed
