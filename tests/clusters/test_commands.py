"""`manage.py clusters add|list`: registering from kubeconfigs, and what the operator sees."""

from io import StringIO

import pytest
import yaml
from django.core.management import CommandError, call_command

from smi_ui.clusters.models import Cluster, KindStatus

pytestmark = pytest.mark.django_db

KUBECONFIG = {
    "apiVersion": "v1",
    "kind": "Config",
    "clusters": [
        {"name": "prod", "cluster": {"server": "https://prod.example:6443", "certificate-authority-data": "Q0E="}},
        {"name": "stage", "cluster": {"server": "https://stage.example:6443"}},
    ],
    "users": [{"name": "ops", "user": {"token": "prod-token"}}, {"name": "dev", "user": {"token": "stage-token"}}],
    "contexts": [
        {"name": "prod-admin", "context": {"cluster": "prod", "user": "ops"}},
        {"name": "stage@dev", "context": {"cluster": "stage", "user": "dev"}},
    ],
    "current-context": "prod-admin",
}


@pytest.fixture
def kubeconfig(tmp_path):
    path = tmp_path / "config"
    path.write_text(yaml.safe_dump(KUBECONFIG))
    return path


def run(*args) -> str:
    out = StringIO()
    call_command("clusters", *args, stdout=out)
    return out.getvalue()


def test_add_registers_the_current_context_only_with_its_own_credentials(kubeconfig):
    assert "registered prod-admin -> https://prod.example:6443" in run("add", "--kubeconfig", str(kubeconfig))
    cluster = Cluster.objects.get()
    stored = cluster.credentials["kubeconfig"]
    assert [u["name"] for u in stored["users"]] == ["ops"]  # the other user's token is not copied
    assert "prod-token" not in cluster.credentials_encrypted


def test_add_all_contexts_registers_each_under_a_slug(kubeconfig):
    run("add", "--kubeconfig", str(kubeconfig), "--all-contexts")
    assert set(Cluster.objects.values_list("name", flat=True)) == {"prod-admin", "stage-dev"}


def test_unknown_context_is_refused_naming_the_choices(kubeconfig):
    with pytest.raises(CommandError, match="prod-admin, stage@dev"):
        run("add", "--kubeconfig", str(kubeconfig), "--context", "nope")
    assert not Cluster.objects.exists()


def test_list_shows_state_staleness_and_kinds(kubeconfig):
    run("add", "--kubeconfig", str(kubeconfig))
    cluster = Cluster.objects.get()
    cluster.mark_stale("connection refused")
    cluster.save()
    KindStatus.objects.create(cluster=cluster, kind="TrafficSplit", api_version="split.smi-spec.io/v1alpha2",
                              state="connected", listed=7)
    output = run("list")
    assert "stale since" in output and "last error: connection refused" in output
    assert "TrafficSplit" in output and "7 listed" in output
    assert "prod-token" not in output
