"""What kube-apiserver and the core controllers add to built-in objects.

Services get a cluster IP and port defaults, Deployments report their replicas as
available, Pods run, Namespaces are Active and get a `default` ServiceAccount - so the
objects a dashboard reads look like a healthy cluster's, not like bare manifests -
and the namespace controller finishes what deleting a namespace starts.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .crds import establish
from .resources import ResourceType
from .store import GroupResource, ObjectStore, StoredEvent

_cluster_ips = itertools.count(10)
_pod_ips = itertools.count(10)

SYSTEM_NAMESPACES = ("default", "kube-node-lease", "kube-public", "kube-system")


def next_cluster_ip() -> str:
    number = next(_cluster_ips)
    return f"10.96.{number // 250}.{number % 250 + 1}"


def next_pod_ip() -> str:
    number = next(_pod_ips)
    return f"10.244.{number // 250}.{number % 250 + 1}"


def _service(obj: dict[str, Any], old: dict[str, Any] | None) -> None:
    spec = obj.setdefault("spec", {})
    spec.setdefault("type", "ClusterIP")
    old_spec = (old or {}).get("spec") or {}
    if not spec.get("clusterIP"):
        spec["clusterIP"] = old_spec.get("clusterIP") or (
            next_cluster_ip() if spec["type"] != "ExternalName" else None)
        if spec["clusterIP"] is None:
            del spec["clusterIP"]
    if spec.get("clusterIP"):
        spec.setdefault("clusterIPs", [spec["clusterIP"]])
        spec.setdefault("ipFamilies", ["IPv4"])
        spec.setdefault("ipFamilyPolicy", "SingleStack")
    spec.setdefault("sessionAffinity", "None")
    if spec["type"] != "ExternalName":
        spec.setdefault("internalTrafficPolicy", "Cluster")
    for port in spec.get("ports") or []:
        if isinstance(port, dict):
            port.setdefault("protocol", "TCP")
            if "port" in port:
                port.setdefault("targetPort", port["port"])
    obj.setdefault("status", {"loadBalancer": {}})


def _pod(obj: dict[str, Any], old: dict[str, Any] | None) -> None:
    spec = obj.setdefault("spec", {})
    spec.setdefault("restartPolicy", "Always")
    spec.setdefault("dnsPolicy", "ClusterFirst")
    spec.setdefault("serviceAccountName", "default")
    spec.setdefault("schedulerName", "default-scheduler")
    spec.setdefault("terminationGracePeriodSeconds", 30)
    spec.setdefault("nodeName", "sandbox-node")
    for container in spec.get("containers") or []:
        if isinstance(container, dict):
            for port in container.get("ports") or []:
                if isinstance(port, dict):
                    port.setdefault("protocol", "TCP")
    if old is not None and old.get("status"):
        obj["status"] = old["status"]
        return
    containers = [c for c in spec.get("containers") or [] if isinstance(c, dict)]
    obj["status"] = {
        "phase": "Running",
        "podIP": next_pod_ip(),
        "hostIP": "172.18.0.2",
        "conditions": [{"type": t, "status": "True"} for t in ("Initialized", "Ready", "ContainersReady",
                                                                 "PodScheduled")],
        "containerStatuses": [{"name": c.get("name", ""), "image": c.get("image", ""), "ready": True,
                               "started": True, "restartCount": 0, "state": {"running": {}}} for c in containers],
    }


def _deployment(obj: dict[str, Any], old: dict[str, Any] | None) -> None:
    spec = obj.setdefault("spec", {})
    spec.setdefault("replicas", 1)
    spec.setdefault("revisionHistoryLimit", 10)
    spec.setdefault("progressDeadlineSeconds", 600)
    spec.setdefault("strategy", {"type": "RollingUpdate",
                                 "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}})
    for container in (((spec.get("template") or {}).get("spec") or {}).get("containers")) or []:
        if isinstance(container, dict):
            container.setdefault("imagePullPolicy", "IfNotPresent")
            for port in container.get("ports") or []:
                if isinstance(port, dict):
                    port.setdefault("protocol", "TCP")


def deployment_status(obj: dict[str, Any]) -> dict[str, Any]:
    """What the deployment controller reports once every replica is up."""
    replicas = (obj.get("spec") or {}).get("replicas", 1)
    return {
        "observedGeneration": (obj.get("metadata") or {}).get("generation", 1),
        "replicas": replicas,
        "updatedReplicas": replicas,
        "readyReplicas": replicas,
        "availableReplicas": replicas,
        "conditions": [
            {"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable",
             "message": "Deployment has minimum availability."},
            {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable",
             "message": "ReplicaSet has successfully progressed."},
        ],
    }


def _namespace(obj: dict[str, Any], old: dict[str, Any] | None) -> None:
    metadata = obj.setdefault("metadata", {})
    metadata.setdefault("labels", {})["kubernetes.io/metadata.name"] = metadata.get("name", "")
    spec = obj.setdefault("spec", {})
    if old is None:  # created with the `kubernetes` finalizer, which only the namespace controller removes
        finalizers = list(spec.get("finalizers") or [])
        spec["finalizers"] = finalizers if NAMESPACE_FINALIZER in finalizers else [*finalizers, NAMESPACE_FINALIZER]
        obj["status"] = {"phase": "Active"}
        return
    kept = ((old.get("spec") or {}).get("finalizers"))  # updates cannot change them (the finalize call can)
    if kept is None:
        spec.pop("finalizers", None)
    else:
        spec["finalizers"] = list(kept)
    obj["status"] = old.get("status") or {"phase": "Active"}


def _crd(obj: dict[str, Any], old: dict[str, Any] | None) -> None:
    spec = obj.setdefault("spec", {})
    spec.setdefault("conversion", {"strategy": "None"})
    names = spec.setdefault("names", {})
    if names.get("kind"):
        names.setdefault("singular", names["kind"].lower())
        names.setdefault("listKind", f"{names['kind']}List")
    establish(obj)


DEFAULTERS = {"Service": _service, "Pod": _pod, "Deployment": _deployment, "Namespace": _namespace,
              "CustomResourceDefinition": _crd}


def apply_defaults(kind: str, obj: dict[str, Any], old: dict[str, Any] | None) -> None:
    defaulter = DEFAULTERS.get(kind)
    if defaulter is not None:
        defaulter(obj, old)


def system_objects() -> list[dict[str, Any]]:
    """What every fresh cluster has: the system namespaces and the `kubernetes` Service."""
    objects: list[dict[str, Any]] = [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}} for name in SYSTEM_NAMESPACES
    ]
    objects.append({
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": "kubernetes", "namespace": "default",
                     "labels": {"component": "apiserver", "provider": "kubernetes"}},
        "spec": {"clusterIP": "10.96.0.1", "ports": [{"name": "https", "port": 443, "targetPort": 6443}]},
    })
    return objects


def default_service_account(namespace: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "default", "namespace": namespace}}


NAMESPACES = ("", "namespaces")
NAMESPACE_FINALIZER = "kubernetes"
# The namespace controller's conditions: (type, reason and message when all is well).
_NAMESPACE_CONDITIONS = (
    ("NamespaceDeletionDiscoveryFailure", "ResourcesDiscovered", "All resources successfully discovered"),
    ("NamespaceDeletionGroupVersionParsingFailure", "ParsedGroupVersions",
     "All legacy kube types successfully parsed"),
    ("NamespaceDeletionContentFailure", "ContentDeleted",
     "All content successfully deleted, may be waiting on finalization"),
    ("NamespaceContentRemaining", "ContentRemoved", "All content successfully removed"),
    ("NamespaceFinalizersRemaining", "ContentHasNoFinalizers", "All content-preserving finalizers finished"),
)


def finalizers_left(kind: str, obj: dict[str, Any]) -> bool:
    """Whether a deleting object must stay: finalizers remain (for a Namespace, also in spec)."""
    if (obj.get("metadata") or {}).get("finalizers"):
        return True
    return kind == "Namespace" and bool((obj.get("spec") or {}).get("finalizers"))


@dataclass
class NamespaceController:
    """kube-controller-manager's namespace controller for namespaces being deleted.

    A deleted namespace is only marked Terminating by the API server; this controller
    then deletes its content through the normal delete path (so finalizers hold objects
    and mark them deleting), reports what remains in the namespace's status conditions,
    waits for held objects to go, and finally removes its `kubernetes` finalizer from
    `spec.finalizers` - the namespace disappears once no finalizers remain.
    """

    store: ObjectStore
    types: Callable[[], list[ResourceType]]
    delete: Callable[[ResourceType, str, str], None]
    defer: Callable[[Callable[[], None]], None]
    now: Callable[[], str]
    _waiting: dict[str, list[tuple[GroupResource, Callable[[StoredEvent], None]]]] = field(default_factory=dict)

    def sync(self, name: str) -> None:
        """One pass over a terminating namespace (the controller's reconcile)."""
        self._stop_waiting(name)
        namespace = self.store.get(NAMESPACES, "", name)
        if namespace is None or not (namespace.get("metadata") or {}).get("deletionTimestamp"):
            return
        remaining: dict[GroupResource, int] = {}
        held_by: dict[str, int] = {}
        seen: set[GroupResource] = set()
        for resource_type in self.types():
            resource = resource_type.group_resource
            if not resource_type.namespaced or resource_type.virtual or resource in seen:
                continue
            seen.add(resource)
            for obj in self.store.list(resource, name):
                if not obj["metadata"].get("deletionTimestamp"):
                    self.delete(resource_type, name, obj["metadata"]["name"])
            left = self.store.list(resource, name)
            if left:
                remaining[resource] = len(left)
                for obj in left:
                    for finalizer in obj["metadata"].get("finalizers") or []:
                        held_by[finalizer] = held_by.get(finalizer, 0) + 1
        namespace = self._report(name, remaining, held_by)
        if namespace is None:
            return
        if remaining:
            self._wait_for_deletions(name, list(remaining))
            return
        self._finalize(namespace)

    def _report(self, name: str, remaining: dict[GroupResource, int],
                held_by: dict[str, int]) -> dict[str, Any] | None:
        """Write the deletion conditions to the namespace's status when they changed."""
        namespace = self.store.get(NAMESPACES, "", name)
        if namespace is None:
            return None
        problems: dict[str, tuple[str, str]] = {}
        if remaining:
            counts = sorted(f"{resource}.{group} has {count} resource instances"
                            for (group, resource), count in remaining.items())
            problems["NamespaceContentRemaining"] = ("SomeResourcesRemain",
                                                     "Some resources are remaining: " + ", ".join(counts))
        if held_by:
            counts = sorted(f"{finalizer} in {count} resource instances" for finalizer, count in held_by.items())
            problems["NamespaceFinalizersRemaining"] = (
                "SomeFinalizersRemain", "Some content in the namespace has finalizers remaining: " + ", ".join(counts))
        status = namespace.setdefault("status", {})
        previous = {c.get("type"): c for c in status.get("conditions") or []}
        conditions = []
        for kind, ok_reason, ok_message in _NAMESPACE_CONDITIONS:
            reason, message = problems.get(kind, (ok_reason, ok_message))
            state = "True" if kind in problems else "False"
            before = previous.get(kind) or {}
            moment = before.get("lastTransitionTime") if before.get("status") == state else self.now()
            conditions.append({"type": kind, "status": state, "lastTransitionTime": moment, "reason": reason,
                               "message": message})
        if status.get("conditions") == conditions:
            return namespace
        status["conditions"] = conditions
        return self.store.commit(NAMESPACES, "MODIFIED", namespace)

    def _finalize(self, namespace: dict[str, Any]) -> None:
        """The `finalize` call: drop our finalizer; with none left the namespace is deleted."""
        spec = namespace.setdefault("spec", {})
        finalizers = [f for f in spec.get("finalizers") or [] if f != NAMESPACE_FINALIZER]
        if not finalizers_left("Namespace", {**namespace, "spec": {**spec, "finalizers": finalizers}}):
            # etcd's delete event carries the object as last stored (before the emptying update)
            self.store.commit(NAMESPACES, "DELETED", namespace)
            return
        if finalizers != spec.get("finalizers"):
            spec["finalizers"] = finalizers
            self.store.commit(NAMESPACES, "MODIFIED", namespace)

    def _wait_for_deletions(self, name: str, resources: list[GroupResource]) -> None:
        """Run again once something held in the namespace is finally deleted."""
        def listener(event: StoredEvent) -> None:
            if event.type == "DELETED" and (event.object.get("metadata") or {}).get("namespace") == name:
                self._stop_waiting(name)
                self.defer(lambda: self.sync(name))

        self._waiting[name] = [(resource, listener) for resource in resources]
        for resource in resources:
            self.store.subscribe(resource, listener)

    def _stop_waiting(self, name: str) -> None:
        for resource, listener in self._waiting.pop(name, []):
            self.store.unsubscribe(resource, listener)
