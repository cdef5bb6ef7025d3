"""Server-side printing: `meta.k8s.io/v1` Table responses for `kubectl get`.

kubectl asks for `application/json;as=Table;v=v1;g=meta.k8s.io` and prints the
columns the server chooses, so built-in kinds get kube-apiserver's columns and custom
resources get what apiextensions-apiserver's table convertor gives them: Name + the
version's `additionalPrinterColumns`, or Name + Age when the CRD declares none (an Age
column is never added to declared ones). `date` cells are sent as ages ("5m"), as the
server's `ConvertToHumanReadableDateType` does.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from .fielderrors import go_float
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


def since(timestamp: Any, now: datetime | None = None) -> str:
    """An RFC 3339 timestamp as an age; `<unknown>` when absent, `<invalid>` when unreadable."""
    if not timestamp:
        return "<unknown>"
    try:
        moment = datetime.fromisoformat(str(timestamp).replace("Z", "+00:00"))
    except ValueError:
        return "<invalid>"
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return human_duration(((now or datetime.now(UTC)) - moment).total_seconds())


def age(obj: dict[str, Any], now: datetime | None = None) -> str:
    return since((obj.get("metadata") or {}).get("creationTimestamp"), now)


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


def _event_row(obj: dict[str, Any]) -> Row:
    """printEvent (always wide: the client hides priority columns); reads core/v1 and events.k8s.io/v1 fields."""
    def field(core: str, events: str) -> Any:
        return obj.get(core) if obj.get(core) not in (None, "", {}) else obj.get(events)

    involved = field("involvedObject", "regarding") or {}
    source = field("source", "deprecatedSource") or {}
    first = field("firstTimestamp", "deprecatedFirstTimestamp")
    first_seen = since(first) if first else since(obj.get("eventTime"))
    last = field("lastTimestamp", "deprecatedLastTimestamp")
    last_seen = since(last) if last else first_seen
    count = field("count", "deprecatedCount") or 0
    series = obj.get("series")
    if isinstance(series, dict):
        last_seen = since(series.get("lastObservedTime"))
        count = series.get("count", 0)
    elif not count:
        count = 1  # singleton events carry no count in the new API
    kind = str(involved.get("kind") or "").lower()
    target = f"{kind}/{involved['name']}" if involved.get("name") else kind
    component = source.get("component") or obj.get("reportingController") or ""
    instance = source.get("host") or obj.get("reportingInstance") or ""
    origin = ", ".join(part for part in (component, instance) if part) if component else ""
    message = str(field("message", "note") or "").strip()
    return [last_seen, obj.get("type", ""), obj.get("reason", ""), target, involved.get("fieldPath", ""), origin,
            message, first_seen, int(count), (obj.get("metadata") or {}).get("name", "")]


EVENT_COLUMNS = [
    _column("Last Seen"), _column("Type"), _column("Reason"), _column("Object"),
    _column("Subobject", priority=1), _column("Source", priority=1), _column("Message"),
    _column("First Seen", priority=1), _column("Count", priority=1),
    {**_column("Name", priority=1), "format": "name"},
]
WITHOUT_NAME_COLUMN = {"Event"}  # kube-apiserver's event table puts Name last, as a wide column

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
    "Event": (EVENT_COLUMNS, _event_row),
    "CustomResourceDefinition": ([_column("Created At", "date")],
                                 lambda o: [(o.get("metadata") or {}).get("creationTimestamp")]),
}


def _containers(obj: dict[str, Any]) -> list[dict[str, Any]]:
    return ((((obj.get("spec") or {}).get("template") or {}).get("spec") or {}).get("containers")) or []


_PATH_PART = re.compile(r"\.([^.\[]+)|\[(-?\d+)\]|\['([^']*)'\]|\[\"([^\"]*)\"\]")
_MISSING = object()


def json_path(obj: dict[str, Any], path: str) -> Any:
    """The simple JSONPaths printer columns use (`.a.b`, `[0]`, `['k']`); `_MISSING` when nothing is found."""
    node: Any = obj
    position = 0
    text = path.strip()
    while position < len(text):
        match = _PATH_PART.match(text, position)
        if match is None:
            return _MISSING
        position = match.end()
        key, index, quoted, double_quoted = match.groups()
        if index is not None:
            if not isinstance(node, list) or not -len(node) <= int(index) < len(node):
                return _MISSING
            node = node[int(index)]
            continue
        name = key if key is not None else quoted if quoted is not None else double_quoted
        if not isinstance(node, dict) or name not in node:
            return _MISSING
        node = node[name]
    return node


def go_print(value: Any) -> str:
    """How the server's jsonpath printer writes a value into a `string` cell (Go's fmt.Fprint)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return go_float(value)
    if isinstance(value, list):
        return "[" + " ".join(go_print(item) for item in value) + "]"
    if isinstance(value, dict):
        return "map[" + " ".join(f"{key}:{go_print(value[key])}" for key in sorted(value)) + "]"
    if value is None:
        return "<nil>"
    return str(value)


def custom_cell(column_type: str, value: Any) -> Any:
    """apiextensions-apiserver's cellForJSONValue: a value typed as the column declares, else empty."""
    if value is _MISSING:
        return None
    if column_type == "string":
        return go_print(value)
    if column_type == "integer":
        if isinstance(value, bool):
            return None
        return int(value) if isinstance(value, (int, float)) else None
    if column_type == "number":
        if isinstance(value, bool):
            return None
        return float(value) if isinstance(value, (int, float)) else None
    if column_type == "boolean":
        return value if isinstance(value, bool) else None
    if column_type == "date":
        return since(value) if isinstance(value, str) else None
    return None


# A CRD version without printer columns is served with this one (serveDefaultColumnsIfEmpty).
DEFAULT_CUSTOM_COLUMNS: tuple[dict[str, Any], ...] = (
    {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp",
     "description": "CreationTimestamp is a timestamp representing the server time when this object was "
                    "created."},
)


def custom_columns(resource_type: ResourceType) -> tuple[dict[str, Any], ...]:
    return resource_type.printer_columns or DEFAULT_CUSTOM_COLUMNS


def columns_for(resource_type: ResourceType) -> list[dict[str, Any]]:
    if resource_type.custom:
        return [NAME_COLUMN, *({"name": c.get("name", ""), "type": c.get("type", "string"),
                                "format": c.get("format", ""),
                                "description": c.get("description") or
                                f"Custom resource definition column (in JSONPath format): {c.get('jsonPath', '')}",
                                "priority": int(c.get("priority") or 0)}
                               for c in custom_columns(resource_type))]
    builtin = BUILTIN.get(resource_type.kind)
    if resource_type.kind in WITHOUT_NAME_COLUMN and builtin:
        return list(builtin[0])
    return [NAME_COLUMN, *(builtin[0] if builtin else [_column("Age")])]


def row_for(resource_type: ResourceType, obj: dict[str, Any]) -> Row:
    name = (obj.get("metadata") or {}).get("name", "")
    if resource_type.custom:
        return [name, *(custom_cell(c.get("type", "string"), json_path(obj, c.get("jsonPath", "")))
                        for c in custom_columns(resource_type))]
    builtin = BUILTIN.get(resource_type.kind)
    if resource_type.kind in WITHOUT_NAME_COLUMN and builtin:
        return builtin[1](obj)
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
