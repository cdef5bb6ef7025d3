"""A kubeconfig is code: one that runs a command or reads a host file is refused wherever it arrives.

Each attack kubeconfig would write a marker file (the exec plugin or auth-provider command
does it) or read a file of the dashboard host. The admin form, the API and the loader refuse
them naming the field, and the marker never appears — also for a row written straight into
the database and handed to the client builder or a sync worker. Exec plugins run only when
imported from the command line and allow-listed; the positive case shows the marker does
appear then, so its absence elsewhere means something.
"""

from __future__ import annotations

import json
import stat
import time
from io import StringIO
from pathlib import Path

import pytest
import yaml
from django.core.management import CommandError, call_command
from django.test import override_settings

from smi_ui.clusters.models import AuthMethod, Cluster
from smi_ui.clusters.sync import ClusterSync, access_for
from smi_ui.kube.client import ClusterClientError, api_client_for, transport_for
from smi_ui.kube.kubeconfig import KubeconfigError, check
from smi_ui.sandbox import ALLOW_ALL, User
from tests.conditions import wait_for

pytestmark = pytest.mark.django_db

EXEC_TOKEN = "token-from-the-exec-plugin"
ADD_PAGE = "/admin/clusters/cluster/add/"


def write_plugin(folder: Path, marker: Path, token: str = EXEC_TOKEN) -> Path:
    """An exec plugin that leaves `marker` behind and prints an ExecCredential with `token`."""
    credential = {"apiVersion": "client.authentication.k8s.io/v1beta1", "kind": "ExecCredential",
                  "status": {"token": token}}
    script = folder / "plugin.sh"
    script.write_text(f"#!/bin/sh\nid > '{marker}'\ncat <<'EOF'\n{json.dumps(credential)}\nEOF\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


def kubeconfig(user: dict, cluster: dict | None = None, server: str = "https://10.0.0.1:6443") -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "c", "cluster": {"server": server, **(cluster or {})}}],
        "users": [{"name": "u", "user": user}],
        "contexts": [{"name": "ctx", "context": {"cluster": "c", "user": "u"}}],
        "current-context": "ctx",
    }


def exec_user(command: str, *args: str) -> dict:
    return {"exec": {"apiVersion": "client.authentication.k8s.io/v1beta1", "command": command, "args": list(args)}}


@pytest.fixture
def marker(tmp_path) -> Path:
    return tmp_path / "marker"


@pytest.fixture
def plugin(tmp_path, marker) -> Path:
    return write_plugin(tmp_path, marker)


def attacks(plugin: Path, marker: Path) -> dict[str, tuple[dict, str]]:
    """Kubeconfigs that would run a command or read a host file, with the field each must be refused at."""
    shell = f"id > {marker}; echo '{{\"apiVersion\":\"client.authentication.k8s.io/v1beta1\",\"kind\":" \
            f"\"ExecCredential\",\"status\":{{\"token\":\"x\"}}}}'"
    return {
        "exec-script": (kubeconfig(exec_user(str(plugin))), "users[0].user.exec"),
        "exec-sh": (kubeconfig(exec_user("sh", "-c", shell)), "users[0].user.exec"),
        "auth-provider": (kubeconfig({"auth-provider": {"name": "gcp", "config": {"cmd-path": str(plugin)}}}),
                          "users[0].user.auth-provider"),
        "tokenFile": (kubeconfig({"tokenFile": "/etc/hostname"}), "users[0].user.tokenFile"),
        "certificate-authority": (kubeconfig({"token": "t"}, {"certificate-authority": "/etc/hostname"}),
                                  "clusters[0].cluster.certificate-authority"),
        "client-certificate": (kubeconfig({"client-certificate": "/etc/hostname", "client-key-data": "S0VZ"}),
                               "users[0].user.client-certificate"),
        "client-key": (kubeconfig({"client-certificate-data": "Q0VSVA==", "client-key": "/etc/hostname"}),
                       "users[0].user.client-key"),
    }


ATTACKS = ["exec-script", "exec-sh", "auth-provider", "tokenFile", "certificate-authority", "client-certificate",
           "client-key"]


def admin_post(client, text: str, name: str = "pasted"):
    return client.post(ADD_PAGE, {
        "name": name, "auth_method": "kubeconfig", "kubeconfig": text, "enabled": "on",
        "kind_statuses-TOTAL_FORMS": "0", "kind_statuses-INITIAL_FORMS": "0",
    })


@pytest.mark.parametrize("attack", ATTACKS)
def test_the_admin_form_refuses_it_naming_the_field_and_runs_nothing(admin_client, plugin, marker, attack):
    document, field = attacks(plugin, marker)[attack]
    assert admin_client.get(ADD_PAGE).status_code == 200  # a superuser, on the add page
    # Even with the command allow-listed: a form never accepts exec plugins.
    with override_settings(KUBECONFIG_EXEC_ALLOWED_COMMANDS=[str(plugin), "sh"]):
        response = admin_post(admin_client, yaml.safe_dump(document))
    assert response.status_code == 200  # the form again, with errors: nothing saved
    page = response.content.decode()
    assert field in page
    assert not Cluster.objects.exists()
    assert not marker.exists()


def test_the_admin_form_accepts_a_kubeconfig_with_inline_credentials(admin_client):
    document = kubeconfig({"token": "inline-token"}, {"certificate-authority-data": "Q0E="})
    response = admin_post(admin_client, yaml.safe_dump(document))
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Cluster.objects.get().credentials["kubeconfig"] == document


def test_the_admin_form_refuses_a_kubeconfig_hidden_behind_another_method(admin_client, plugin, marker):
    """Pasted with the token method, then switched to kubeconfig later: refused when pasted."""
    response = admin_client.post(ADD_PAGE, {
        "name": "sneaky", "auth_method": "token", "api_server": "https://10.0.0.1:6443", "token": "t",
        "kubeconfig": yaml.safe_dump(kubeconfig(exec_user(str(plugin)))), "enabled": "on",
        "kind_statuses-TOTAL_FORMS": "0", "kind_statuses-INITIAL_FORMS": "0",
    })
    assert response.status_code == 200 and "users[0].user.exec" in response.content.decode()
    assert not Cluster.objects.exists()


ALIAS_BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 9)}]\n" for i in range(8))


@pytest.mark.parametrize(("text", "reason"), [
    (ALIAS_BOMB, "aliases (*name) are not accepted"),
    ("a: " + "[" * 5000 + "]" * 5000, "nested more than 64 deep"),
    ("preferences: {}\n" + "# padding\n" * 30000, "a kubeconfig may have at most 262144 bytes"),
], ids=["alias-bomb", "deep-nesting", "oversized"])
def test_the_admin_form_refuses_hostile_yaml_quickly_without_expanding_it(admin_client, text, reason):
    started = time.monotonic()
    response = admin_post(admin_client, text)
    assert response.status_code == 200 and reason in response.content.decode()
    assert time.monotonic() - started < 5  # bounded work (generous: a loaded test machine)
    assert not Cluster.objects.exists()


def test_the_api_offers_no_way_to_create_or_change_a_cluster(admin_client, plugin, marker):
    cluster = Cluster.objects.create(name="prod", api_server="https://10.0.0.1:6443", auth_method=AuthMethod.TOKEN)
    cluster.set_credentials({"token": "kept"})
    cluster.save()
    body = {"name": "evil", "auth_method": "kubeconfig", "kubeconfig": kubeconfig(exec_user(str(plugin))),
            "credentials": {"kubeconfig": kubeconfig(exec_user(str(plugin)))}}
    answers = [
        admin_client.post("/api/clusters/", body, content_type="application/json"),
        admin_client.put("/api/clusters/prod/", body, content_type="application/json"),
        admin_client.patch("/api/clusters/prod/", body, content_type="application/json"),
    ]
    assert [answer.status_code for answer in answers] == [405, 405, 405]
    assert all(answer.json()["errors"] for answer in answers)
    assert list(Cluster.objects.values_list("name", flat=True)) == ["prod"]
    assert Cluster.objects.get().credentials == {"token": "kept"}
    assert not marker.exists()


def stored_directly(document: dict, name: str = "written-in-db") -> Cluster:
    """A row as something other than the dashboard's own entry points could have written it."""
    cluster = Cluster(name=name, auth_method=AuthMethod.KUBECONFIG, kubeconfig_context="ctx",
                      api_server="https://10.0.0.1:6443")
    cluster.set_credentials({"kubeconfig": document})
    cluster.save()
    return cluster


@pytest.mark.parametrize("attack", ATTACKS)
def test_the_loader_refuses_a_row_written_in_the_database(plugin, marker, attack):
    document, field = attacks(plugin, marker)[attack]
    cluster = stored_directly(document)
    with pytest.raises(ClusterClientError, match=field.replace("[", r"\[").replace("]", r"\]")):
        api_client_for(access_for(cluster))
    with pytest.raises(ClusterClientError):
        transport_for(access_for(cluster))
    assert not marker.exists()


def test_the_loader_runs_only_allow_listed_exec_commands_with_a_safe_environment(plugin, marker):
    other = stored_directly(kubeconfig(exec_user(str(plugin))), name="not-listed")
    with override_settings(KUBECONFIG_EXEC_ALLOWED_COMMANDS=["aws", "/usr/bin/kubelogin"]), \
            pytest.raises(ClusterClientError, match="not in KUBECONFIG_EXEC_ALLOWED_COMMANDS"):
        api_client_for(access_for(other))
    # An allowed name whose lookup is redirected (PATH) or whose loader is hooked (LD_PRELOAD).
    for name in ("PATH", "LD_PRELOAD", "PYTHONPATH"):
        user = exec_user("aws")
        user["exec"]["env"] = [{"name": "AWS_PROFILE", "value": "prod"}, {"name": name, "value": str(plugin.parent)}]
        cluster = stored_directly(kubeconfig(user), name=f"env-{name.lower().replace('_', '-')}")
        with override_settings(KUBECONFIG_EXEC_ALLOWED_COMMANDS=["aws"]), \
                pytest.raises(ClusterClientError, match=rf"users\[0\]\.user\.exec\.env\[1\]\.name: {name}"):
            api_client_for(access_for(cluster))
    assert not marker.exists()


@pytest.mark.django_db(transaction=True)
def test_a_sync_worker_never_runs_the_command_of_a_row_written_in_the_database(plugin, marker):
    cluster = stored_directly(kubeconfig(exec_user(str(plugin))))
    sync = ClusterSync(cluster, rediscover_seconds=0.2)
    sync.start()
    try:
        wait_for(lambda: not sync.alive or Cluster.objects.get(pk=cluster.pk).state == "error",
                 what="the sync worker gave up on the cluster")
    finally:
        sync.stop()
    assert not marker.exists()


def test_refusals_name_every_field_at_once(plugin):
    document = kubeconfig({"tokenFile": "/t", "exec": exec_user(str(plugin))["exec"]}, {"certificate-authority": "/c"})
    with pytest.raises(KubeconfigError) as refused:
        check(document)
    assert {problem.path for problem in refused.value.problems} == {
        "clusters[0].cluster.certificate-authority", "users[0].user.tokenFile", "users[0].user.exec"}
    assert {problem.code for problem in refused.value.problems} == {"file-reference", "exec-not-allowed"}


# ---- the command line, with the allow-list ---------------------------------------------------


def add(path: Path) -> str:
    out = StringIO()
    call_command("clusters", "add", "--kubeconfig", str(path), stdout=out)
    return out.getvalue()


def test_the_command_line_refuses_exec_plugins_not_on_the_allow_list(tmp_path, plugin, marker):
    path = tmp_path / "config"
    path.write_text(yaml.safe_dump(kubeconfig(exec_user(str(plugin)))))
    with pytest.raises(CommandError, match=r"users\[0\]\.user\.exec\.command: .* not in "
                                           r"KUBECONFIG_EXEC_ALLOWED_COMMANDS \(empty\)"):
        add(path)
    assert not Cluster.objects.exists()
    assert not marker.exists()


@pytest.mark.django_db(transaction=True)
def test_an_allow_listed_exec_plugin_from_the_command_line_authenticates_to_the_cluster(
        sandbox_factory, tmp_path, plugin, marker):
    handle = sandbox_factory(tokens={EXEC_TOKEN: User("exec-user", rules=ALLOW_ALL)})
    path = tmp_path / "config"
    # Relative to the kubeconfig's folder, as kubectl resolves exec commands.
    path.write_text(yaml.safe_dump(kubeconfig(exec_user(f"./{plugin.name}"), server=handle.url)))
    with override_settings(KUBECONFIG_EXEC_ALLOWED_COMMANDS=[str(plugin)]):
        assert "registered ctx" in add(path)
        assert not marker.exists()  # registering runs nothing
        cluster = Cluster.objects.get()
        assert cluster.credentials["kubeconfig"]["users"][0]["user"]["exec"]["command"] == str(plugin)
        namespaces = transport_for(access_for(cluster)).get_json("/api/v1/namespaces")
    assert namespaces["kind"] == "NamespaceList"  # the sandbox accepted only the plugin's token
    assert marker.exists()
    # The allow-list shrinks: the stored row no longer runs.
    marker.unlink()
    with pytest.raises(ClusterClientError, match="not in KUBECONFIG_EXEC_ALLOWED_COMMANDS"):
        api_client_for(access_for(cluster))
    assert not marker.exists()


@pytest.mark.parametrize(("text", "field"), [
    ("apiVersion: v1\nclusters: 5\n", "clusters"),
    ("apiVersion: v1\nusers:\n- name: u\n  user: {1: token}\n", "users[0].user.1"),
    ("apiVersion: v1\ncontexts: {a: b}\n", "contexts"),
])
def test_a_malformed_kubeconfig_is_refused_naming_the_field_not_a_crash(text, field):
    from smi_ui.kube import kubeconfig

    with pytest.raises(kubeconfig.KubeconfigError) as refused:
        kubeconfig.contexts(kubeconfig.parse(text))
    assert field in str(refused.value)
