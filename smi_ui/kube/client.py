"""Building an API client for a cluster from however the operator told us to reach it."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any

from kubernetes import client as k8s
from kubernetes import config as k8s_config

from .transport import ApiTransport


@dataclass(frozen=True)
class ClusterAccess:
    """Everything needed to connect; secrets only in `credentials`, never logged."""

    method: str  # "kubeconfig" | "in-cluster" | "token" | "client-cert"
    server: str = ""
    context: str = ""
    insecure_skip_tls_verify: bool = False
    credentials: dict[str, Any] = field(default_factory=dict, repr=False)


def kubeconfig_for(access: ClusterAccess) -> dict[str, Any]:
    """A kubeconfig document equivalent to the access, so one loader serves every method."""
    if access.method == "kubeconfig":
        return access.credentials["kubeconfig"]
    cluster: dict[str, Any] = {"server": access.server}
    if access.insecure_skip_tls_verify:
        cluster["insecure-skip-tls-verify"] = True
    elif access.credentials.get("ca_data"):
        cluster["certificate-authority-data"] = _b64(access.credentials["ca_data"])
    user: dict[str, Any] = {}
    if access.method == "token":
        user["token"] = access.credentials["token"]
    elif access.method == "client-cert":
        user["client-certificate-data"] = _b64(access.credentials["client_cert"])
        user["client-key-data"] = _b64(access.credentials["client_key"])
    else:
        raise ValueError(f"unknown access method {access.method!r}")
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "target", "cluster": cluster}],
        "users": [{"name": "smi-ui", "user": user}],
        "contexts": [{"name": "target", "context": {"cluster": "target", "user": "smi-ui"}}],
        "current-context": "target",
    }


def api_client_for(access: ClusterAccess) -> k8s.ApiClient:
    if access.method == "in-cluster":
        configuration = k8s.Configuration()
        k8s_config.load_incluster_config(client_configuration=configuration)
        return k8s.ApiClient(configuration)
    return k8s_config.new_client_from_config_dict(kubeconfig_for(access), context=access.context or None)


def transport_for(access: ClusterAccess, user_agent: str = "smi-ui") -> ApiTransport:
    """A transport whose requests say who sends them (the sync process, the writer...)."""
    api_client = api_client_for(access)
    api_client.user_agent = user_agent
    return ApiTransport(api_client)


def kubeconfig_contexts(kubeconfig: dict[str, Any]) -> list[dict[str, str]]:
    """Contexts of a kubeconfig with their server URLs, for `clusters add --all-contexts`."""
    servers = {c["name"]: (c.get("cluster") or {}).get("server", "") for c in kubeconfig.get("clusters", [])}
    return [
        {"name": ctx["name"], "server": servers.get((ctx.get("context") or {}).get("cluster", ""), "")}
        for ctx in kubeconfig.get("contexts", [])
    ]


def _b64(value: str) -> str:
    """Kubeconfig `*-data` fields are base64 PEM; accept PEM or already-encoded input."""
    if value.lstrip().startswith("-----BEGIN"):
        return base64.b64encode(value.encode()).decode()
    return value
