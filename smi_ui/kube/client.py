"""Building an API client for a cluster from however the operator told us to reach it.

Every kubeconfig is checked (`kubeconfig.check`) right before the client reads it, whatever
wrote it: the client would otherwise run its exec plugins and read the files it names.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from kubernetes import client as k8s
from kubernetes import config as k8s_config
from kubernetes.config.config_exception import ConfigException

from . import kubeconfig as kubeconfigs
from .transport import ApiTransport


class ClusterClientError(Exception):
    """The client for a cluster cannot be built; the message says why (never a secret)."""


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


def allowed_exec_commands() -> tuple[str, ...]:
    """The operator's exec allow-list (settings `KUBECONFIG_EXEC_ALLOWED_COMMANDS`); none without Django."""
    from django.conf import settings

    return tuple(getattr(settings, kubeconfigs.ALLOW_LIST_SETTING, ())) if settings.configured else ()


def api_client_for(access: ClusterAccess, *, allowed_exec: Collection[str] | None = None) -> k8s.ApiClient:
    """A client for the cluster, or ClusterClientError saying why none can be built.

    The kubeconfig is checked first with the command-line rules (exec only for allowed
    commands, no auth-provider, no file paths), so a stored row never runs anything else.
    """
    if access.method == "in-cluster":
        configuration = k8s.Configuration()
        try:
            k8s_config.load_incluster_config(client_configuration=configuration)
        except (ConfigException, OSError) as error:
            raise ClusterClientError(f"in-cluster service account: {error}") from None
        return k8s.ApiClient(configuration)
    try:
        document = kubeconfig_for(access)
    except (KeyError, TypeError, ValueError) as error:
        raise ClusterClientError(f"stored {access.method} credentials are incomplete: {error}") from None
    allowed = allowed_exec_commands() if allowed_exec is None else allowed_exec
    try:
        kubeconfigs.check(document, allowed_exec_commands=allowed)
    except kubeconfigs.KubeconfigError as error:
        raise ClusterClientError(f"stored kubeconfig refused: {error}") from None
    try:
        api_client = k8s_config.new_client_from_config_dict(document, context=access.context or None)
    except (ConfigException, KeyError, TypeError, ValueError, binascii.Error, OSError) as error:
        raise ClusterClientError(f"kubeconfig cannot be used: {error}") from None
    configuration = api_client.configuration
    if _uses_exec(document) and not (configuration.api_key.get("BearerToken") or configuration.cert_file):
        raise ClusterClientError("the exec plugin gave no credential (its error is in the log)")
    return api_client


def _uses_exec(document: dict[str, Any]) -> bool:
    return any(isinstance(user, dict) and "exec" in (user.get("user") or {}) for user in document.get("users") or [])


def transport_for(access: ClusterAccess, user_agent: str = "smi-ui") -> ApiTransport:
    """A transport whose requests say who sends them (the sync process, the writer...)."""
    api_client = api_client_for(access)
    api_client.user_agent = user_agent
    return ApiTransport(api_client)


def _b64(value: str) -> str:
    """Kubeconfig `*-data` fields are base64 PEM; accept PEM or already-encoded input."""
    if value.lstrip().startswith("-----BEGIN"):
        return base64.b64encode(value.encode()).decode()
    return value
