"""URL paths to request info, the way kube-apiserver's RequestInfoFactory reads them.

`/apis/split.smi-spec.io/v1alpha4/namespaces/default/trafficsplits/web` becomes
verb=get group=split.smi-spec.io resource=trafficsplits namespace=default name=web;
authorization, routing and fault matching all start from this.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RequestInfo:
    is_resource: bool
    path: str
    verb: str = ""
    group: str = ""
    version: str = ""
    resource: str = ""
    namespace: str = ""
    name: str = ""
    subresource: str = ""
    cluster_path_for_namespaced: bool = False  # no /namespaces/<ns>/ in the path

    @property
    def is_watch(self) -> bool:
        return self.verb == "watch"


_METHOD_VERBS = {"POST": "create", "PUT": "update", "PATCH": "patch"}


def request_info(method: str, path: str, query: dict[str, str]) -> RequestInfo:
    parts = [p for p in path.split("/") if p]
    if not parts or parts[0] not in ("api", "apis"):
        return RequestInfo(False, path)
    if parts[0] == "api":
        if len(parts) < 3:
            return RequestInfo(False, path)
        group, version, rest = "", parts[1], parts[2:]
    else:
        if len(parts) < 4:
            return RequestInfo(False, path)
        group, version, rest = parts[1], parts[2], parts[3:]
    legacy_watch = False
    if rest and rest[0] == "watch":
        legacy_watch = True
        rest = rest[1:]
    namespace = ""
    cluster_path = True
    if rest and rest[0] == "namespaces":
        if len(rest) >= 3 and not (group == "" and len(rest) == 3 and rest[2] in ("status", "finalize")):
            namespace = rest[1]
            rest = rest[2:]
            cluster_path = False
        elif len(rest) >= 2:
            namespace = rest[1]  # the namespace object itself: /api/v1/namespaces/<name>[/status]
    if not rest:
        return RequestInfo(False, path)
    resource = rest[0]
    name = rest[1] if len(rest) > 1 else ""
    subresource = rest[2] if len(rest) > 2 else ""
    if len(rest) > 3:
        return RequestInfo(False, path)
    if method in _METHOD_VERBS:
        verb = _METHOD_VERBS[method]
    elif method == "DELETE":
        verb = "delete" if name else "deletecollection"
    elif method in ("GET", "HEAD"):
        if legacy_watch or query.get("watch") in ("true", "1"):
            verb = "watch"
        else:
            verb = "get" if name else "list"
    else:
        verb = method.lower()
    return RequestInfo(True, path, verb, group, version, resource, namespace, name, subresource,
                       cluster_path_for_namespaced=cluster_path)
