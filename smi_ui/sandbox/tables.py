"""Server-side printing: `meta.k8s.io/v1` Table responses for `kubectl get`.

kubectl asks for `application/json;as=Table;v=v1;g=meta.k8s.io` and prints the
columns the server chooses, so built-in kinds get kube-apiserver's columns and custom
resources get Name + the CRD's printer columns + Age (a date that kubectl turns into
an age itself).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from .resources import ResourceType

Row = list[Any]

NAME_COLUMN = {"name": "Name", "type": "string", "format": "name", "priority": 0,
               "description": "Name must be unique within a namespace."}


def human_duration(seconds: float) -> str:
    """k8s.io/apimachinery/pkg/util/duration.HumanDuration."""
    whole = int(seconds)
    if whole < -1:
        return "<invalid>"
    if whole < 0:
        return "0s"
    if whole < 120:
        return f"{whole}s"
    minutes = whole // 60
    if minutes < 10:
        rest = whole % 60
        return f"{minutes}m" if rest == 0 else f"{minutes}m{rest}s"
    if minutes < 180:
        return f"{minutes}m"
    hours = whole // 3600
    if hours < 8:
        rest = minutes % 60
        return f"{hours}h" if rest == 0 else f"{hours}h{rest}m"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        rest = hours % 24
        return f"{hours // 24}d" if rest == 0 else f"{hours // 24}d{rest}h"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        rest = (hours // 24) % 365
        return f"{hours // 24 // 365}y" if rest == 0 else f"{hours // 24 // 365}y{rest}d"
    return f"{hours // 24 // 365}y"


def age(obj: dict[str, Any], now: datetime | None = None) -> str:
    created = (obj.get("metadata") or {}).get("creationTimestamp")
    if not created:
        return "<unknown>"
    moment = datetime.strptime(created, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    return human_duration(((now or datetime.now(UTC)) - moment).total_seconds())


def _column(name: str, kind: str = "string", priority: int = 0, description: str = "") -> dict[str, Any]:
    return {"name": name, "type": kind, "format": "", "description": description or name, "priority": priority}


def _service_ports(obj: dict[str, Any]) -> str:
    ports = (obj.get("spec") or {}).get("ports") or []
    parts = []
    for port in ports:
        text = str(port.get("port"))
        if port.get("nodePort"):
            text += f":{port['nodePort']}"
        parts.append(f"{text}/{port.get('protocol', 'TCP')}")
    return ",".join(parts) or "<none>"


def _pod_ready(obj: dict[str, Any]) -> str:
    statuses = (obj.get("status") or {}).get("containerStatuses") or []
    containers = (obj.get("spec") or {}).get("containers") or []
    ready = sum(1 for s in statuses if s.get("ready"))
    return f"{ready}/{len(containers)}"


def _restarts(obj: dict[str, Any]) -> int:
    return sum(s.get("restartCount", 0) for s in (obj.get("status") or {}).get("containerStatuses") or [])


def _selector(obj: dict[str, Any]) -> str:
    selector = (obj.get("spec") or {}).get("selector") or {}
    labels = selector.get("matchLabels", selector) if isinstance(selector, dict) else {}
    return ",".join(f"{k}={v}" for k, v in labels.items() if isinstance(v, str)) or "<none>"


BuiltinPrinter = tuple[list[dict[str, Any]], Callable[[dict[str, Any]], Row]]

BUILTIN: dict[str, BuiltinPrinter] = {
    "Namespace": ([_column("Status"), _column("Age")],
                  lambda o: [(o.get("status") or {}).get("phase", "Active"), age(o)]),
    "Pod": ([_column("Ready"), _column("Status"), _column("Restarts", "string"), _column("Age"),
             _column("IP", priority=1), _column("Node", priority=1)],
            lambda o: [_pod_ready(o), (o.get("status") or {}).get("phase", "Pending"),
                       str(_restarts(o)),
                       age(o), (o.get("status") or {}).get("podIP") or "<none>",
                       (o.get("spec") or {}).get("nodeName") or "<none>"]),
    "Service": ([_column("Type"), _column("Cluster-IP"), _column("External-IP"), _column("Port(s)"), _column("Age"),
                 _column("Selector", priority=1)],
                lambda o: [(o.get("spec") or {}).get("type", "ClusterIP"), (o.get("spec") or {}).get("clusterIP", ""),
                           ",".join((o.get("spec") or {}).get("externalIPs") or []) or "<none>", _service_ports(o),
                           age(o), _selector(o)]),
    "ServiceAccount": ([_column("Secrets", "integer"), _column("Age")],
                       lambda o: [len(o.get("secrets") or []), age(o)]),
    "Deployment": ([_column("Ready"), _column("Up-to-date", "integer"), _column("Available", "integer"),
                    _column("Age"), _column("Containers", priority=1), _column("Images", priority=1),
                    _column("Selector", priority=1)],
                   lambda o: [f"{(o.get('status') or {}).get('readyReplicas', 0)}/"
                              f"{(o.get('spec') or {}).get('replicas', 1)}",
                              (o.get("status") or {}).get("updatedReplicas", 0),
                              (o.get("status") or {}).get("availableReplicas", 0), age(o),
                              ",".join(c.get("name", "") for c in _containers(o)),
                              ",".join(c.get("image", "") for c in _containers(o)), _selector(o)]),
    "CustomResourceDefinition": ([_column("Created At", "date")],
                                 lambda o: [(o.get("metadata") or {}).get("creationTimestamp")]),
}


def _containers(obj: dict[str, Any]) -> list[dict[str, Any]]:
    return ((((obj.get("spec") or {}).get("template") or {}).get("spec") or {}).get("containers")) or []


def json_path(obj: dict[str, Any], path: str) -> Any:
    """The simple `.a.b` JSONPaths printer columns use."""
    node: Any = obj
    for part in path.strip(".").split("."):
        if not isinstance(node, dict):
            return None
        node = node.get(part)
    return node


def columns_for(resource_type: ResourceType) -> list[dict[str, Any]]:
    if resource_type.custom:
        extra = [_column(c["name"], c.get("type", "string"), description=c.get("description", ""))
                 for c in resource_type.printer_columns]
        return [NAME_COLUMN, *extra, _column("Age", "date")]
    builtin = BUILTIN.get(resource_type.kind)
    return [NAME_COLUMN, *(builtin[0] if builtin else [_column("Age")])]


def row_for(resource_type: ResourceType, obj: dict[str, Any]) -> Row:
    name = (obj.get("metadata") or {}).get("name", "")
    if resource_type.custom:
        return [name, *(json_path(obj, c["jsonPath"]) for c in resource_type.printer_columns), age(obj)]
    builtin = BUILTIN.get(resource_type.kind)
    return [name, *(builtin[1](obj) if builtin else [age(obj)])]


def _row_object(obj: dict[str, Any], include: str) -> dict[str, Any] | None:
    if include == "None":
        return None
    if include == "Object":
        return obj
    return {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": obj.get("metadata", {})}


def table(resource_type: ResourceType, objects: list[dict[str, Any]], list_metadata: dict[str, Any],
          include_object: str = "Metadata", with_columns: bool = True) -> dict[str, Any]:
    rows = []
    for obj in objects:
        row: dict[str, Any] = {"cells": row_for(resource_type, obj)}
        included = _row_object(obj, include_object)
        if included is not None:
            row["object"] = included
        rows.append(row)
    result: dict[str, Any] = {"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": list_metadata}
    result["columnDefinitions"] = columns_for(resource_type) if with_columns else None
    result["rows"] = rows
    return result
