"""The real kubectl, unmodified, against a sandbox: the proof that the sandbox is faithful."""

from __future__ import annotations

import queue
import subprocess
import threading

import pytest
import yaml

from smi_ui.sandbox import ALLOW_ALL, Rule, User

from .support import Api, split, splits_path

pytestmark = pytest.mark.covers("client.kubectl")
covers = pytest.mark.covers

MESH = """
apiVersion: v1
kind: Namespace
metadata:
  name: shop
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: web, namespace: shop}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: api, namespace: shop}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop, labels: {app: web}}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: web-v2, namespace: shop}
spec:
  selector: {app: web, version: v2}
  ports: [{name: http, port: 80}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      serviceAccountName: web
      containers:
      - name: web
        image: ghcr.io/example/web:1.0
        ports: [{containerPort: 8080}]
        env: [{name: MODE, value: canary}]
---
apiVersion: split.smi-spec.io/v1alpha4
kind: TrafficSplit
metadata: {name: web, namespace: shop}
spec:
  service: web
  backends:
  - {service: web, weight: 90}
  - {service: web-v2, weight: 10}
---
apiVersion: specs.smi-spec.io/v1alpha4
kind: HTTPRouteGroup
metadata: {name: api-routes, namespace: shop}
spec:
  matches:
  - {name: read, pathRegex: /api/.*, methods: [GET]}
  - {name: write, pathRegex: /api/orders, methods: [POST, PUT]}
---
apiVersion: specs.smi-spec.io/v1alpha4
kind: TCPRoute
metadata: {name: db, namespace: shop}
spec:
  matches: {ports: [5432]}
---
apiVersion: access.smi-spec.io/v1alpha3
kind: TrafficTarget
metadata: {name: web-to-api, namespace: shop}
spec:
  destination: {kind: ServiceAccount, name: api, namespace: shop}
  rules:
  - {kind: HTTPRouteGroup, name: api-routes, matches: [read]}
  - {kind: TCPRoute, name: db}
  sources:
  - {kind: ServiceAccount, name: web, namespace: shop}
"""
MESH_OBJECTS = [
    "namespace/shop", "serviceaccount/web", "serviceaccount/api", "service/web", "service/web-v2",
    "deployment.apps/web", "trafficsplit.split.smi-spec.io/web", "httproutegroup.specs.smi-spec.io/api-routes",
    "tcproute.specs.smi-spec.io/db", "traffictarget.access.smi-spec.io/web-to-api",
]


def _outcomes(output: str) -> dict[str, str]:
    return dict(line.rsplit(" ", 1) for line in output.strip().splitlines())


@covers("discovery.aggregated")
def test_api_resources_lists_the_smi_kinds(sandbox):
    output = sandbox.kubectl("api-resources", check=True).stdout
    rows = {line.split()[0]: line.split() for line in output.splitlines()[1:]}
    assert rows["trafficsplits"][1:] == ["ts", "split.smi-spec.io/v1alpha4", "true", "TrafficSplit"]
    assert rows["traffictargets"][1:] == ["tt", "access.smi-spec.io/v1alpha3", "true", "TrafficTarget"]
    for resource in ("httproutegroups", "tcproutes", "udproutes"):
        assert rows[resource][2] == "specs.smi-spec.io/v1alpha4"


@covers("openapi.v3", "verbs.create")
def test_apply_creates_everything_and_a_second_apply_changes_nothing(sandbox):
    first = sandbox.kubectl("apply", "-f", "-", input=MESH, check=True)
    assert _outcomes(first.stdout) == {name: "created" for name in MESH_OBJECTS}
    strict = [r for r in sandbox.cluster.requests if r.method == "POST" and "trafficsplits" in r.path]
    assert strict and strict[0].query["fieldValidation"] == "Strict"
    assert strict[0].query["fieldManager"] == "kubectl-client-side-apply"
    version = sandbox.cluster.resource_version
    second = sandbox.kubectl("apply", "-f", "-", input=MESH, check=True)
    assert _outcomes(second.stdout) == {name: "unchanged" for name in MESH_OBJECTS}
    assert sandbox.cluster.resource_version == version


@covers("verbs.list")
def test_get_all_namespaces_as_yaml_returns_the_splits(sandbox):
    sandbox.kubectl("apply", "-f", "-", input=MESH, check=True)
    listed = yaml.safe_load(sandbox.kubectl("get", "trafficsplits", "-A", "-o", "yaml", check=True).stdout)
    [item] = listed["items"]
    assert (item["metadata"]["namespace"], item["spec"]["backends"][1]) == ("shop", {"service": "web-v2",
                                                                                     "weight": 10})


@covers("verbs.table")
def test_get_prints_the_servers_columns(sandbox):
    sandbox.kubectl("apply", "-f", "-", input=MESH, check=True)
    lines = sandbox.kubectl("get", "ts,svc,deploy", "-n", "shop", check=True).stdout.splitlines()
    assert lines[0].split() == ["NAME", "SERVICE"]  # the CRD declares Service, so no Age
    assert lines[1].split()[:2] == ["trafficsplit.split.smi-spec.io/web", "web"]
    assert ["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"] in [line.split() for line in lines]
    assert any(line.split()[:2] == ["deployment.apps/web", "2/2"] for line in lines)


@covers("verbs.patch-merge")
def test_patch_merge_changes_a_weight(sandbox):
    sandbox.kubectl("apply", "-f", "-", input=MESH, check=True)
    patch = '{"spec":{"backends":[{"service":"web","weight":50},{"service":"web-v2","weight":50}]}}'
    result = sandbox.kubectl("patch", "trafficsplit", "web", "-n", "shop", "--type=merge", "-p", patch, check=True)
    assert result.stdout.strip() == "trafficsplit.split.smi-spec.io/web patched"
    stored = sandbox.cluster.get("split.smi-spec.io/v1alpha4", "TrafficSplit", "web", "shop")
    assert [b["weight"] for b in stored["spec"]["backends"]] == [50, 50]
    assert {m["manager"] for m in stored["metadata"]["managedFields"]} == {"kubectl-client-side-apply",
                                                                         "kubectl-patch"}


@covers("verbs.update")
def test_replace_with_a_stale_resource_version_is_a_conflict(sandbox):
    sandbox.kubectl("apply", "-f", "-", input=MESH, check=True)
    current = sandbox.kubectl("get", "ts", "web", "-n", "shop", "-o", "yaml", check=True).stdout
    sandbox.kubectl("label", "ts", "web", "-n", "shop", "touched=yes", check=True)
    result = sandbox.kubectl("replace", "-f", "-", input=current)
    assert result.returncode == 1
    assert result.stderr.strip() == (
        'Error from server (Conflict): error when replacing "STDIN": Operation cannot be fulfilled on '
        'trafficsplits.split.smi-spec.io "web": the object has been modified; please apply your changes to the '
        "latest version and try again")
    fresh = sandbox.kubectl("get", "ts", "web", "-n", "shop", "-o", "yaml", check=True).stdout
    assert sandbox.kubectl("replace", "-f", "-", input=fresh).returncode == 0


class _Lines:
    """Reads a process's stdout on a thread so the test can wait for lines with a bound."""

    def __init__(self, process: subprocess.Popen[str]):
        self.process = process
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))

    def next(self, timeout: float = 15) -> list[str]:
        try:
            return self.lines.get(timeout=timeout).split()
        except queue.Empty:
            raise AssertionError("kubectl printed nothing within the timeout") from None


@covers("watch.stream")
def test_get_watch_prints_events_as_another_client_changes_objects(sandbox):
    sandbox.kubectl("apply", "-f", "-", input=MESH, check=True)
    watcher = sandbox.kubectl_stream("get", "trafficsplits", "-A", "-w", "--output-watch-events")
    try:
        lines = _Lines(watcher)
        assert lines.next() == ["EVENT", "NAMESPACE", "NAME", "SERVICE"]
        assert lines.next()[:4] == ["ADDED", "shop", "web", "web"]
        api = Api(sandbox.url)
        api.post(splits_path("shop"), split("canary", "shop"))
        assert lines.next()[:3] == ["ADDED", "shop", "canary"]
        api.patch(splits_path("shop") + "/canary", {"spec": {"service": "api"}})
        assert lines.next()[:4] == ["MODIFIED", "shop", "canary", "api"]
        api.delete(splits_path("shop") + "/canary")
        assert lines.next()[:3] == ["DELETED", "shop", "canary"]
    finally:
        watcher.terminate()
        watcher.wait(10)


@covers("verbs.apply")
def test_server_side_apply_creates_then_takes_over_client_side_fields(sandbox):
    first = sandbox.kubectl("apply", "--server-side", "-f", "-", input=MESH, check=True)
    assert _outcomes(first.stdout) == {name: "serverside-applied" for name in MESH_OBJECTS}
    stored = sandbox.cluster.get("split.smi-spec.io/v1alpha4", "TrafficSplit", "web", "shop")
    assert [(m["manager"], m["operation"]) for m in stored["metadata"]["managedFields"]] == [("kubectl", "Apply")]
    changed = MESH.replace("weight: 10}", "weight: 20}")
    second = sandbox.kubectl("apply", "--server-side", "-f", "-", input=changed, check=True)
    assert "trafficsplit.split.smi-spec.io/web serverside-applied" in second.stdout
    stored = sandbox.cluster.get("split.smi-spec.io/v1alpha4", "TrafficSplit", "web", "shop")
    assert stored["spec"]["backends"][1]["weight"] == 20 and stored["metadata"]["generation"] == 2


@covers("verbs.apply")
def test_server_side_apply_after_client_side_apply_migrates_ownership(sandbox):
    sandbox.kubectl("apply", "-f", "-", input=MESH, check=True)
    result = sandbox.kubectl("apply", "--server-side", "-f", "-", input=MESH, check=True)
    assert "Warning" not in result.stderr
    again = sandbox.kubectl("apply", "--server-side", "-f", "-", input=MESH, check=True)
    assert "Warning" not in again.stderr
    stored = sandbox.cluster.get("apps/v1", "Deployment", "web", "shop")
    assert stored["spec"]["template"]["spec"]["containers"][0]["env"] == [{"name": "MODE", "value": "canary"}]


@covers("verbs.dry-run")
def test_create_dry_run_server_stores_nothing(sandbox):
    sandbox.kubectl("create", "namespace", "shop", check=True)
    version = sandbox.cluster.resource_version
    without_namespace = MESH.split("---", 1)[1]
    result = sandbox.kubectl("create", "--dry-run=server", "-f", "-", input=without_namespace, check=True)
    assert "trafficsplit.split.smi-spec.io/web created (server dry run)" in result.stdout
    assert sandbox.cluster.resource_version == version
    assert sandbox.kubectl("get", "ts", "-A", "-o", "name").stdout == ""


@covers("errors.invalid", "errors.strict")
def test_kubectl_prints_the_servers_validation_errors(sandbox):
    invalid = yaml.safe_dump(split("Bad_Name")).replace("service: web\n", "")
    result = sandbox.kubectl("create", "-f", "-", input=invalid)
    assert result.returncode == 1
    assert result.stderr.startswith('The TrafficSplit "Bad_Name" is invalid: \n* metadata.name: Invalid value: '
                                    '"Bad_Name": a lowercase RFC 1123 subdomain')
    assert "* spec.service: Required value" in result.stderr
    unknown = yaml.safe_dump({**split("web"), "extra": 1})
    result = sandbox.kubectl("create", "-f", "-", input=unknown)
    assert result.stderr.strip() == (
        'Error from server (BadRequest): error when creating "STDIN": TrafficSplit in version "v1alpha4" cannot be '
        'handled as a TrafficSplit: strict decoding error: unknown field "extra"')


AUTH_TOKENS = {
    "admin-token": User("admin", rules=ALLOW_ALL),
    "viewer-token": User("viewer", rules=(Rule(("get", "list", "watch")),)),
    "ops-token": User("ops", rules=(
        Rule(("impersonate",), groups=("",), resources=("users",), names=("viewer",)),)),
}


@covers("auth.access-review")
def test_auth_can_i_answers_per_token(sandbox_factory):
    handle = sandbox_factory(tokens=AUTH_TOKENS, tls=True)  # kubectl sends bearer tokens over HTTPS only
    yes = handle.kubectl("auth", "can-i", "list", "trafficsplits", "-n", "shop", user="viewer")
    assert (yes.returncode, yes.stdout.strip()) == (0, "yes")
    no = handle.kubectl("auth", "can-i", "patch", "trafficsplits.split.smi-spec.io", "-n", "shop", user="viewer")
    assert (no.returncode, no.stdout.strip()) == (1, "no")
    assert handle.kubectl("auth", "can-i", "delete", "ts", user="admin").stdout.strip() == "yes"
    listing = handle.kubectl("auth", "can-i", "--list", "-n", "default", user="viewer", check=True).stdout
    assert "[get list watch]" in listing


@covers("auth.impersonation", "auth.forbidden")
def test_as_is_honoured_for_tokens_allowed_to_impersonate_and_refused_otherwise(sandbox_factory):
    handle = sandbox_factory(tokens=AUTH_TOKENS, tls=True)
    whoami = handle.kubectl("auth", "whoami", "--as=viewer", "-o", "jsonpath={.status.userInfo.username}",
                            user="ops", check=True)
    assert whoami.stdout == "viewer"
    assert handle.kubectl("get", "ts", "-A", "--as=viewer", user="ops").returncode == 0
    denied_write = handle.kubectl("create", "-f", "-", "--as=viewer", user="ops", input=yaml.safe_dump(split("x")))
    assert 'User "viewer" cannot create resource "trafficsplits"' in denied_write.stderr
    refused = handle.kubectl("get", "ts", "--as=admin", user="ops")
    assert refused.returncode == 1
    assert ('users "admin" is forbidden: User "ops" cannot impersonate resource "users" in API group "" at the '
            "cluster scope") in refused.stderr
    assert handle.kubectl("get", "ts", "--as=viewer", user="viewer").returncode == 1
