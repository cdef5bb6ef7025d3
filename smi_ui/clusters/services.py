"""Registering clusters: from a kubeconfig, a token, or the in-cluster service account."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from django.db import transaction

from smi_ui.kube.client import kubeconfig_contexts

from .models import AuthMethod, Cluster


class RegistrationError(ValueError):
    """A cluster cannot be registered as asked; the message says which input is wrong."""


def _context_slug(name: str) -> str:
    from django.utils.text import slugify

    return slugify(name.replace("@", "-").replace(":", "-").replace("/", "-"))[:63] or "cluster"


def register_from_kubeconfig(
    path: Path, *, context: str | None = None, all_contexts: bool = False, is_demo: bool = False
) -> list[Cluster]:
    """One Cluster per chosen context; the kubeconfig is stored encrypted, reduced to that context."""
    try:
        kubeconfig = yaml.safe_load(Path(path).read_text())
    except (OSError, yaml.YAMLError) as error:
        raise RegistrationError(f"kubeconfig {path}: {error}") from None
    contexts = kubeconfig_contexts(kubeconfig or {})
    if not contexts:
        raise RegistrationError(f"kubeconfig {path} has no contexts")
    if all_contexts:
        chosen = contexts
    else:
        wanted = context or (kubeconfig or {}).get("current-context")
        chosen = [c for c in contexts if c["name"] == wanted]
        if not chosen:
            names = ", ".join(c["name"] for c in contexts)
            raise RegistrationError(f"context {wanted!r} not in {path} (contexts: {names})")
    clusters = []
    with transaction.atomic():
        for ctx in chosen:
            cluster, _ = Cluster.objects.update_or_create(
                name=_context_slug(ctx["name"]),
                defaults={
                    "api_server": ctx["server"],
                    "auth_method": AuthMethod.KUBECONFIG,
                    "kubeconfig_context": ctx["name"],
                    "is_demo": is_demo,
                },
            )
            cluster.set_credentials({"kubeconfig": _only_context(kubeconfig, ctx["name"])})
            cluster.save()
            clusters.append(cluster)
    return clusters


def running_in_cluster() -> bool:
    """Kubernetes sets this variable in every pod; its service account token sits beside it."""
    import os

    return bool(os.environ.get("KUBERNETES_SERVICE_HOST")) and Path(
        "/var/run/secrets/kubernetes.io/serviceaccount/token"
    ).exists()


def register_in_cluster(name: str = "local") -> Cluster:
    cluster, _ = Cluster.objects.get_or_create(
        name=name, defaults={"auth_method": AuthMethod.IN_CLUSTER, "api_server": "https://kubernetes.default.svc"}
    )
    return cluster


def _only_context(kubeconfig: dict[str, Any], context_name: str) -> dict[str, Any]:
    """The kubeconfig cut down to one context and the cluster/user it names."""
    context = next(c for c in kubeconfig.get("contexts", []) if c["name"] == context_name)
    cluster_name = (context.get("context") or {}).get("cluster")
    user_name = (context.get("context") or {}).get("user")
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [c for c in kubeconfig.get("clusters", []) if c["name"] == cluster_name],
        "users": [u for u in kubeconfig.get("users", []) if u["name"] == user_name],
        "contexts": [context],
        "current-context": context_name,
    }
