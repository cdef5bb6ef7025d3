"""What kube-apiserver and the core controllers add to built-in objects.

Services get a cluster IP and port defaults, Deployments report their replicas as
available, Pods run, Namespaces are Active and get a `default` ServiceAccount - so the
objects a dashboard reads look like a healthy cluster's, not like bare manifests.
"""

from __future__ import annotations

import itertools
from typing import Any

from .crds import establish

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
    obj.setdefault("spec", {}).setdefault("finalizers", ["kubernetes"])
    obj["status"] = (old or {}).get("status") or {"phase": "Active"}


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
