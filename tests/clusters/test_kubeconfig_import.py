"""`clusters add --kubeconfig` stores what the files say, not where they are.

kubectl resolves a kubeconfig's relative paths against the kubeconfig's folder; the import
does the same, reads the files once, and stores their contents inline (encrypted), so the
cluster works from any working directory and after the files are gone. A file that cannot be
read is an error at `clusters add` time, naming the field and the path it resolved to.
"""

from __future__ import annotations

import base64
import shutil
from io import StringIO
from pathlib import Path

import pytest
import yaml
from django.core.management import CommandError, call_command

from smi_ui.clusters.models import Cluster
from smi_ui.clusters.sync import ClusterSync, access_for
from smi_ui.kube.client import ClusterClientError, api_client_for
from smi_ui.kube.watch import WatchSettings
from smi_ui.sandbox import ALLOW_ALL, User
from tests.conditions import wait_for

pytestmark = pytest.mark.django_db

TOKEN = "sandbox-token-from-a-file"
CERT = b"-----BEGIN CERTIFICATE-----\nQ0VSVA==\n-----END CERTIFICATE-----\n"
KEY = b"-----BEGIN PRIVATE KEY-----\nS0VZ\n-----END PRIVATE KEY-----\n"


def add(path: Path, *args: str) -> str:
    out = StringIO()
    call_command("clusters", "add", "--kubeconfig", str(path), *args, stdout=out)
    return out.getvalue()


def write_kubeconfig(folder: Path, cluster: dict, user: dict, server: str = "https://10.0.0.1:6443",
                     others: int = 0) -> Path:
    """A kubeconfig in `folder`; `others` unrelated contexts come first, so ours are not at index 0."""
    folder.mkdir(parents=True, exist_ok=True)
    filler = [f"other-{i}" for i in range(others)]
    document = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": n, "cluster": {"server": "https://other"}} for n in filler]
        + [{"name": "c", "cluster": {"server": server, **cluster}}],
        "users": [{"name": n, "user": {"tokenFile": "/nowhere"}} for n in filler] + [{"name": "u", "user": user}],
        "contexts": [{"name": n, "context": {"cluster": n, "user": n}} for n in filler]
        + [{"name": "ctx", "context": {"cluster": "c", "user": "u"}}],
        "current-context": "ctx",
    }
    path = folder / "config"
    path.write_text(yaml.safe_dump(document))
    return path


@pytest.fixture
def elsewhere(tmp_path, monkeypatch) -> Path:
    """Run from a different directory than the kubeconfig's, as an operator usually does."""
    directory = tmp_path / "elsewhere"
    directory.mkdir()
    monkeypatch.chdir(directory)
    return directory


def test_relative_paths_are_read_from_the_kubeconfigs_folder_and_stored_inline(tmp_path, elsewhere):
    folder = tmp_path / "kube"
    (folder / "pki").mkdir(parents=True)
    (folder / "pki" / "ca.crt").write_bytes(CERT)
    (folder / "pki" / "client.crt").write_bytes(CERT)
    (folder / "pki" / "client.key").write_bytes(KEY)
    path = write_kubeconfig(folder, {"certificate-authority": "pki/ca.crt"},
                            {"client-certificate": "pki/client.crt", "client-key": "./pki/../pki/client.key"})
    add(path)
    cluster = Cluster.objects.get()
    stored = cluster.credentials["kubeconfig"]
    assert stored["clusters"][0]["cluster"] == {"server": "https://10.0.0.1:6443",
                                                "certificate-authority-data": base64.b64encode(CERT).decode()}
    assert stored["users"][0]["user"] == {"client-certificate-data": base64.b64encode(CERT).decode(),
                                          "client-key-data": base64.b64encode(KEY).decode()}
    # Encrypted at rest like every credential.
    assert base64.b64encode(KEY).decode() not in cluster.credentials_encrypted
    # Nothing on disk is needed any more: the client builds with the folder gone.
    shutil.rmtree(folder)
    api_client_for(access_for(cluster))


def test_a_token_file_becomes_the_token(tmp_path, elsewhere):
    folder = tmp_path / "kube"
    folder.mkdir()
    (folder / "token").write_text(TOKEN + "\n")
    add(write_kubeconfig(folder, {}, {"tokenFile": "token"}))
    assert Cluster.objects.get().credentials["kubeconfig"]["users"][0]["user"] == {"token": TOKEN}


def test_a_missing_file_is_an_error_at_add_time_naming_field_and_resolved_path(tmp_path, elsewhere):
    folder = tmp_path / "kube"
    path = write_kubeconfig(folder, {"certificate-authority": "pki/ca.crt"}, {"token": "t"}, others=2)
    with pytest.raises(CommandError) as refused:
        add(path)
    message = str(refused.value)
    # The field of the operator's file (our cluster is its third entry), and where it was looked for.
    assert "clusters[2].cluster.certificate-authority" in message
    assert str(folder / "pki" / "ca.crt") in message and "No such file" in message
    assert not Cluster.objects.exists()


def test_all_contexts_register_nothing_when_one_context_has_a_missing_file(tmp_path, elsewhere):
    folder = tmp_path / "kube"
    path = write_kubeconfig(folder, {}, {"token": "t"}, others=1)  # other-0's user has tokenFile: /nowhere
    with pytest.raises(CommandError, match=r"users\[0\]\.user\.tokenFile: cannot read /nowhere"):
        add(path, "--all-contexts")
    assert not Cluster.objects.exists()
    add(path)  # the current context alone needs no file
    assert Cluster.objects.get().name == "ctx"


def test_a_file_given_twice_is_refused_as_kubectl_does(tmp_path, elsewhere):
    folder = tmp_path / "kube"
    path = write_kubeconfig(folder, {"certificate-authority": "ca.crt", "certificate-authority-data": "Q0E="},
                            {"token": "t"})
    with pytest.raises(CommandError, match="both certificate-authority and certificate-authority-data"):
        add(path)
    assert not Cluster.objects.exists()


def test_a_context_naming_a_user_the_file_lacks_is_refused(tmp_path):
    path = write_kubeconfig(tmp_path, {}, {"token": "t"}, others=1)
    document = yaml.safe_load(path.read_text())
    document["contexts"][1]["context"]["user"] = "typo"
    path.write_text(yaml.safe_dump(document))
    with pytest.raises(CommandError, match=r"contexts\[1\]\.context\.user: names no user 'typo'"):
        add(path)
    assert not Cluster.objects.exists()


def test_a_row_stored_with_a_file_path_earlier_gets_a_clear_client_error(tmp_path):
    """Imports before files were inlined stored paths; the client is not built from them."""
    (tmp_path / "ca.crt").write_bytes(CERT)
    cluster = Cluster(name="old-import", auth_method="kubeconfig", kubeconfig_context="ctx")
    cluster.set_credentials({"kubeconfig": yaml.safe_load(write_kubeconfig(
        tmp_path, {"certificate-authority": str(tmp_path / "ca.crt")}, {"token": "t"}).read_text())})
    cluster.save()
    with pytest.raises(ClusterClientError, match=r"clusters\[0\]\.cluster\.certificate-authority: names a file"):
        api_client_for(access_for(cluster))


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_cluster_imported_with_relative_ca_and_token_files_syncs_after_the_files_are_gone(
        sandbox_factory, tmp_path, elsewhere):
    handle = sandbox_factory(tls=True, tokens={TOKEN: User("smi-ui", rules=ALLOW_ALL)})
    folder = tmp_path / "kube"
    (folder / "pki").mkdir(parents=True)
    (folder / "pki" / "ca.crt").write_bytes(handle.cluster.certificate.ca_pem)
    (folder / "token").write_text(TOKEN)
    path = write_kubeconfig(folder, {"certificate-authority": "pki/ca.crt"}, {"tokenFile": "token"},
                            server=handle.url)
    assert f"registered ctx -> {handle.url}" in add(path)
    shutil.rmtree(folder)
    cluster = Cluster.objects.get()
    sync = ClusterSync(cluster, watch_settings=WatchSettings(watch_timeout_seconds=30, backoff_initial=0.1,
                                                             backoff_max=1.0), rediscover_seconds=0.5)
    sync.start()
    try:
        wait_for(lambda: Cluster.objects.get(pk=cluster.pk).state == "connected", timeout=30,
                 what="the cluster connected over TLS with the inlined CA and token")
    finally:
        sync.stop()


# ---- a client that cannot be built says why ---------------------------------------------------


def test_a_client_that_cannot_be_built_raises_a_typed_error_with_the_reason(tmp_path, monkeypatch):
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    with pytest.raises(ClusterClientError, match="in-cluster service account: Service host/port is not set"):
        api_client_for(access_for(Cluster(name="pod", auth_method="in-cluster")))
    token_without_token = Cluster(name="t", auth_method="token", api_server="https://10.0.0.1:6443")
    with pytest.raises(ClusterClientError, match="stored token credentials are incomplete"):
        api_client_for(access_for(token_without_token))
    failing = tmp_path / "failing-plugin"
    failing.write_text("#!/bin/sh\necho 'no credentials for you' >&2\nexit 3\n")
    failing.chmod(0o700)
    broken = Cluster(name="exec", auth_method="kubeconfig")
    broken.set_credentials({"kubeconfig": yaml.safe_load(write_kubeconfig(tmp_path, {}, {"exec": {
        "apiVersion": "client.authentication.k8s.io/v1beta1", "command": str(failing)}}).read_text())})
    with pytest.raises(ClusterClientError, match="the exec plugin gave no credential"):
        api_client_for(access_for(broken), allowed_exec=[str(failing)])
