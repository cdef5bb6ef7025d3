"""The manifests under deploy/: valid for the API server, and RBAC exactly as wide as the code needs.

The RBAC check does not compare lists by hand: it runs sync and an edit against a sandbox
cluster whose only rules are the ClusterRole's, authenticated as the ServiceAccount. A verb
the code uses that the role lacks answers 403 and fails here.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from smi_ui.clusters.services import register_from_kubeconfig
from smi_ui.clusters.sync import ClusterSync
from smi_ui.inventory.models import KubeObject
from smi_ui.kube.watch import WatchSettings
from smi_ui.sandbox.auth import Rule, User
from smi_ui.sandbox.demo import demo_objects
from smi_ui.smi.kinds import REGISTRY
from tests.conditions import wait_for

REPO = Path(__file__).resolve().parents[2]
SERVICE_ACCOUNT = "system:serviceaccount:smi-ui:smi-ui"
WRITE_VERBS = {"create", "update", "patch", "delete", "deletecollection", "*"}


def kustomize(folder: str) -> list[dict]:
    if shutil.which("kubectl") is None:
        pytest.skip("kubectl is not installed")
    rendered = subprocess.run(["kubectl", "kustomize", str(REPO / "deploy" / folder)], capture_output=True,
                              text=True, check=True).stdout
    return [doc for doc in yaml.safe_load_all(rendered) if doc]


def cluster_role_rules(documents: list[dict], name: str = "smi-ui") -> list[dict]:
    return next(d for d in documents if d["kind"] == "ClusterRole" and d["metadata"]["name"] == name)["rules"]


def as_sandbox_rules(rules: list[dict]) -> tuple[Rule, ...]:
    return tuple(Rule(verbs=tuple(r["verbs"]), groups=tuple(r["apiGroups"]), resources=tuple(r["resources"]))
                 for r in rules)


def test_base_renders_every_part_of_the_deployment():
    kinds = sorted((d["kind"], d["metadata"]["name"]) for d in kustomize("base"))
    assert kinds == [
        ("ClusterRole", "smi-ui"), ("ClusterRoleBinding", "smi-ui"), ("Deployment", "smi-ui-sync"),
        ("Deployment", "smi-ui-web"), ("Namespace", "smi-ui"), ("NetworkPolicy", "smi-ui-sync"),
        ("NetworkPolicy", "smi-ui-web"), ("Service", "smi-ui"), ("ServiceAccount", "smi-ui"),
    ]


def test_workloads_run_as_non_root_with_probes_resources_and_secret_references():
    for deployment in (d for d in kustomize("base") if d["kind"] == "Deployment"):
        pod = deployment["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        container = pod["containers"][0]
        assert container["securityContext"]["allowPrivilegeEscalation"] is False
        assert container["resources"]["requests"] and container["resources"]["limits"]["memory"]
        assert container["envFrom"] == [{"secretRef": {"name": "smi-ui"}}]
        assert not any("value" in env and env["name"] in {"SECRET_KEY", "DATABASE_URL", "REDIS_URL"}
                       for env in container.get("env", []))
        if deployment["metadata"]["name"] == "smi-ui-web":
            assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
            assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"


def test_write_verbs_are_granted_only_on_smi_kinds_and_impersonation_only_in_its_overlay():
    base = cluster_role_rules(kustomize("base"))
    for rule in base:
        if WRITE_VERBS & set(rule["verbs"]):
            assert set(rule["apiGroups"]) <= set(REGISTRY.groups()), rule
        assert "impersonate" not in rule["verbs"]
    overlay = kustomize("overlays/impersonation")
    assert cluster_role_rules(overlay, "smi-ui-impersonate") == [
        {"apiGroups": [""], "resources": ["users", "groups"], "verbs": ["impersonate"]}
    ]


def test_sandbox_accepts_the_manifests_it_serves_with_server_side_dry_run(sandbox_factory, tmp_path):
    handle = sandbox_factory(objects=[{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "smi-ui"}}])
    served = [d for d in kustomize("base") if d["kind"] in {"ServiceAccount", "Deployment", "Service"}]
    manifest = tmp_path / "served.yaml"
    manifest.write_text(yaml.safe_dump_all(served))
    result = handle.kubectl("apply", "--dry-run=server", "-f", str(manifest), check=True)
    assert result.stdout.count("(server dry run)") == len(served)
    assert handle.cluster.get("apps/v1", "Deployment", "smi-ui-web", "smi-ui") is None  # nothing stored


@pytest.mark.django_db(transaction=True)
def test_sync_and_an_edit_need_no_more_than_the_cluster_role(sandbox_factory):
    from smi_ui.changes.actors import Actor
    from smi_ui.changes.services import set_split_weights

    rules = as_sandbox_rules(cluster_role_rules(kustomize("base")))
    handle = sandbox_factory(objects=demo_objects(), tokens={"sa-token": User(SERVICE_ACCOUNT, rules=rules)},
                             user=SERVICE_ACCOUNT)
    (cluster,) = register_from_kubeconfig(handle.kubeconfig)
    sync = ClusterSync(cluster, watch_settings=WatchSettings(backoff_initial=0.1, backoff_max=0.5))
    sync.start()
    try:
        def all_kinds_synced():
            return set(KubeObject.objects.filter(cluster=cluster).values_list("kind", flat=True)) >= {
                "Namespace", "Service", "ServiceAccount", "Deployment",
                "TrafficSplit", "TrafficTarget", "HTTPRouteGroup", "TCPRoute",
            }

        wait_for(all_kinds_synced, timeout=30, what="every kind synced with the ServiceAccount's rules")
        split = KubeObject.objects.get(cluster=cluster, kind="TrafficSplit", name="bookstore-canary")
        set_split_weights(Actor.command_line("rbac-check"), cluster, "bookstore", "bookstore-canary",
                          {"bookstore-v1": 60, "bookstore-v2": 40}, base_resource_version=split.resource_version)
        stored = handle.cluster.get("split.smi-spec.io/v1alpha4", "TrafficSplit", "bookstore-canary", "bookstore")
        assert [b["weight"] for b in stored["spec"]["backends"]] == [60, 40]
    finally:
        sync.stop()
    assert {r.user for r in handle.cluster.requests} == {SERVICE_ACCOUNT}  # every request used the role
