"""Registering clusters: from a kubeconfig, a token, or the in-cluster service account."""

from __future__ import annotations

import os
from collections.abc import Collection
from pathlib import Path

from django.conf import settings
from django.db import transaction

from smi_ui.kube import kubeconfig as kubeconfigs

from .models import AuthMethod, Cluster


class RegistrationError(ValueError):
    """A cluster cannot be registered as asked; the message says which input is wrong."""


def _context_slug(name: str) -> str:
    from django.utils.text import slugify

    return slugify(name.replace("@", "-").replace(":", "-").replace("/", "-"))[:63] or "cluster"


def register_from_kubeconfig(
    path: Path, *, context: str | None = None, all_contexts: bool = False, is_demo: bool = False,
    allowed_exec_commands: Collection[str] | None = None,
) -> list[Cluster]:
    """One Cluster per chosen context; each is stored encrypted, reduced to that context.

    The files a context names (CA, client certificate and key, token file) are read now,
    relative to the kubeconfig's folder as kubectl does, and stored inline, so the stored
    credentials need nothing from this machine's disk. Exec plugins are kept only for commands
    on the allow-list (settings `KUBECONFIG_EXEC_ALLOWED_COMMANDS` unless given). Nothing is
    registered unless every chosen context is usable.
    """
    path = Path(path)
    try:
        with path.open("rb") as handle:
            text = handle.read(kubeconfigs.MAX_KUBECONFIG_BYTES + 1)
        kubeconfig = kubeconfigs.parse(text)
        contexts = kubeconfigs.contexts(kubeconfig)
    except OSError as error:
        raise RegistrationError(f"kubeconfig {path}: {error.strerror or error}") from None
    except kubeconfigs.KubeconfigError as error:
        raise RegistrationError(f"kubeconfig {path}: {error}") from None
    if not contexts:
        raise RegistrationError(f"kubeconfig {path} has no contexts")
    if all_contexts:
        chosen = contexts
    else:
        wanted = context or kubeconfig.get("current-context")
        chosen = [c for c in contexts if c["name"] == wanted]
        if not chosen:
            names = ", ".join(c["name"] for c in contexts)
            raise RegistrationError(f"context {wanted!r} not in {path} (contexts: {names})")
    if allowed_exec_commands is None:
        allowed_exec_commands = getattr(settings, kubeconfigs.ALLOW_LIST_SETTING, [])
    base_dir = Path(os.path.abspath(path)).parent
    prepared = []
    for ctx in chosen:
        try:
            prepared.append((ctx, kubeconfigs.prepare_import(kubeconfig, ctx["name"], base_dir,
                                                              allowed_exec_commands)))
        except kubeconfigs.KubeconfigError as error:
            raise RegistrationError(f"kubeconfig {path}, context {ctx['name']!r}: {error}") from None
    clusters = []
    with transaction.atomic():
        for ctx, stored in prepared:
            cluster, _ = Cluster.objects.update_or_create(
                name=_context_slug(ctx["name"]),
                defaults={
                    "api_server": ctx["server"],
                    "auth_method": AuthMethod.KUBECONFIG,
                    "kubeconfig_context": ctx["name"],
                    "is_demo": is_demo,
                },
            )
            cluster.set_credentials({"kubeconfig": stored})
            cluster.save()
            clusters.append(cluster)
    return clusters


def running_in_cluster() -> bool:
    """Kubernetes sets this variable in every pod; its service account token sits beside it."""
    return bool(os.environ.get("KUBERNETES_SERVICE_HOST")) and Path(
        "/var/run/secrets/kubernetes.io/serviceaccount/token"
    ).exists()


def register_in_cluster(name: str = "local") -> Cluster:
    cluster, _ = Cluster.objects.get_or_create(
        name=name, defaults={"auth_method": AuthMethod.IN_CLUSTER, "api_server": "https://kubernetes.default.svc"}
    )
    return cluster
