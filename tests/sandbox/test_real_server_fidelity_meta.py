"""Object lifecycle and metadata rules the sandbox copies from a real kube-apiserver.

Each test's docstring states the real server's behaviour it checks; kubectl (unmodified)
is the independent client wherever the behaviour is visible to it.
"""

from __future__ import annotations

import json

import pytest
import yaml

from .support import Api, split, splits_path, wait_for

covers = pytest.mark.covers

TCP_ROUTE = {"apiVersion": "specs.smi-spec.io/v1alpha4", "kind": "TCPRoute",
             "metadata": {"name": "db", "namespace": "default"}, "spec": {"matches": {"ports": [5432]}}}


@pytest.fixture
def api(sandbox) -> Api:
    return Api(sandbox.url)


# ---- printer columns ----------------------------------------------------------------------------

@covers("verbs.table")
def test_kubectl_get_prints_only_the_columns_a_crd_declares(sandbox, api):
    """Real: apiextensions-apiserver's table convertor serves NAME plus the version's
    additionalPrinterColumns, and adds an Age column only when the CRD declares none
    (serveDefaultColumnsIfEmpty); every published TrafficSplit CRD declares just Service."""
    api.post(splits_path(), split("web"))
    api.post("/apis/specs.smi-spec.io/v1alpha4/namespaces/default/tcproutes", TCP_ROUTE)
    splits = sandbox.kubectl("get", "trafficsplits", check=True).stdout.splitlines()
    assert [line.split() for line in splits] == [["NAME", "SERVICE"], ["web", "web"]]
    wide = sandbox.kubectl("get", "trafficsplits", "-o", "wide", check=True).stdout.splitlines()
    assert wide[0].split() == ["NAME", "SERVICE"]
    routes = sandbox.kubectl("get", "tcproutes", check=True).stdout.splitlines()
    assert routes[0].split() == ["NAME", "AGE"] and routes[1].split()[0] == "db"


@covers("verbs.table", "resources.crds")
def test_declared_columns_are_typed_prioritised_and_read_by_json_path(sandbox, api):
    """Real: each declared column keeps its type, format and priority (priority > 0 only with
    -o wide); `integer` cells are numbers, `date` cells are ages, a path that finds nothing
    gives an empty cell, and `string` cells print other values as Go's fmt does."""
    crd = api.get("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/tcproutes.specs.smi-spec.io").body
    for version in crd["spec"]["versions"]:
        version["additionalPrinterColumns"] = [
            {"name": "Port", "type": "integer", "jsonPath": ".spec.matches.ports[0]"},
            {"name": "Ports", "type": "string", "jsonPath": ".spec.matches.ports", "priority": 1},
            {"name": "Missing", "type": "string", "jsonPath": ".spec.nothing"},
            {"name": "Created", "type": "date", "jsonPath": ".metadata.creationTimestamp"},
        ]
    assert api.put(f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{crd['metadata']['name']}",
                   crd).status == 200
    api.post("/apis/specs.smi-spec.io/v1alpha4/namespaces/default/tcproutes",
             {**TCP_ROUTE, "spec": {"matches": {"ports": [5432, 6432]}}})
    table = api.request("GET", "/apis/specs.smi-spec.io/v1alpha4/namespaces/default/tcproutes",
                        headers={"Accept": "application/json;as=Table;v=v1;g=meta.k8s.io"}).body
    assert [(c["name"], c["type"], c["priority"]) for c in table["columnDefinitions"]] == [
        ("Name", "string", 0), ("Port", "integer", 0), ("Ports", "string", 1), ("Missing", "string", 0),
        ("Created", "date", 0)]
    [row] = table["rows"]
    assert row["cells"][:4] == ["db", 5432, "[5432 6432]", None]
    assert row["cells"][4].endswith("s")  # an age, e.g. "0s"
    plain = sandbox.kubectl("get", "tcproutes", check=True).stdout.splitlines()
    assert plain[0].split() == ["NAME", "PORT", "MISSING", "CREATED"]
    wide = sandbox.kubectl("get", "tcproutes", "-o", "wide", check=True).stdout.splitlines()
    assert wide[0].split() == ["NAME", "PORT", "PORTS", "MISSING", "CREATED"]
    assert wide[1].split()[:4] == ["db", "5432", "[5432", "6432]"]


# ---- events -------------------------------------------------------------------------------------

@covers("resources.builtin", "verbs.list")
def test_kubectl_get_events_finds_none(sandbox):
    """Real: core v1 `events` and `events.k8s.io/v1` `events` are always served; a namespace
    nothing has reported on lists no events, and kubectl says so and exits 0."""
    result = sandbox.kubectl("get", "events")
    assert (result.returncode, result.stdout, result.stderr.strip()) == (
        0, "", "No resources found in default namespace.")
    new_api = sandbox.kubectl("get", "events.events.k8s.io", "-A")
    assert (new_api.returncode, new_api.stderr.strip()) == (0, "No resources found")
    rows = {line.split()[0] + " " + line.split()[2]: line.split()
            for line in sandbox.kubectl("api-resources", check=True).stdout.splitlines()[1:]}
    assert rows["events v1"][1:] == ["ev", "v1", "true", "Event"]
    assert rows["events events.k8s.io/v1"][1:] == ["ev", "events.k8s.io/v1", "true", "Event"]


@covers("resources.builtin", "verbs.table")
def test_a_created_event_is_listed_with_the_event_columns(sandbox):
    """Real: events can be created like any object, and kube-apiserver's event table is
    LAST SEEN, TYPE, REASON, OBJECT, MESSAGE (NAME and the rest only with -o wide)."""
    event = {"apiVersion": "v1", "kind": "Event", "metadata": {"name": "web.1", "namespace": "default"},
             "involvedObject": {"kind": "TrafficSplit", "name": "web", "namespace": "default"},
             "reason": "Shifted", "message": "weights changed ", "type": "Normal",
             "source": {"component": "rollouts"}, "firstTimestamp": "2026-01-01T00:00:00Z",
             "lastTimestamp": "2026-01-01T00:00:00Z", "count": 2}
    sandbox.kubectl("create", "-f", "-", input=yaml.safe_dump(event), check=True)
    lines = sandbox.kubectl("get", "events", check=True).stdout.splitlines()
    assert lines[0].split() == ["LAST", "SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]
    assert lines[1].split()[1:] == ["Normal", "Shifted", "trafficsplit/web", "weights", "changed"]
    wide = sandbox.kubectl("get", "events", "-o", "wide", check=True).stdout.splitlines()
    assert wide[0].split()[-4:] == ["FIRST", "SEEN", "COUNT", "NAME"]
    assert wide[1].split()[-2:] == ["2", "web.1"]


# ---- namespace termination ----------------------------------------------------------------------

def _held_split(name: str, namespace: str) -> dict:
    held = split(name, namespace)
    held["metadata"]["finalizers"] = ["example.com/hold"]
    return held


@covers("verbs.delete", "resources.builtin", "watch.stream")
def test_a_deleted_namespace_terminates_and_is_kept_until_its_content_is_gone(sandbox, api):
    """Real: DELETE marks the Namespace (deletionTimestamp, status.phase Terminating, spec.finalizers
    ["kubernetes"]); the namespace controller deletes its objects (a finalizer holds one, marked
    deleting), reports what remains in status.conditions, and removes its finalizer only once the
    content is gone - then the namespace disappears; a watch sees MODIFIED ... then DELETED."""
    api.post("/api/v1/namespaces", {"metadata": {"name": "shop"}})
    api.post(splits_path("shop"), split("plain", "shop"))
    api.post(splits_path("shop"), _held_split("held", "shop"))
    start = api.get("/api/v1/namespaces/shop").body["metadata"]["resourceVersion"]
    with api.watch("/api/v1/namespaces", fieldSelector="metadata.name=shop", resourceVersion=start) as watch:
        deleted = api.delete("/api/v1/namespaces/shop")
        assert deleted.status == 200 and deleted.body["kind"] == "Namespace"
        assert deleted.body["status"]["phase"] == "Terminating" and deleted.body["metadata"]["deletionTimestamp"]
        assert deleted.body["spec"]["finalizers"] == ["kubernetes"]
        wait_for(lambda: api.get(splits_path("shop") + "/plain").status == 404, what="unheld content deleted")
        held = api.get(splits_path("shop") + "/held").body
        assert held["metadata"]["deletionTimestamp"] and held["metadata"]["generation"] == 2

        def reported() -> dict | None:
            namespace = api.get("/api/v1/namespaces/shop").body
            conditions = {c["type"]: c for c in namespace["status"].get("conditions") or []}
            return conditions if conditions.get("NamespaceContentRemaining", {}).get("status") == "True" else None
        conditions = wait_for(reported, what="remaining content reported")
        assert conditions["NamespaceContentRemaining"]["message"] == (
            "Some resources are remaining: trafficsplits.split.smi-spec.io has 1 resource instances")
        assert conditions["NamespaceFinalizersRemaining"]["message"] == (
            "Some content in the namespace has finalizers remaining: example.com/hold in 1 resource instances")
        assert conditions["NamespaceDeletionContentFailure"]["status"] == "False"
        kept = api.get("/api/v1/namespaces/shop").body
        assert (kept["status"]["phase"], kept["spec"]["finalizers"]) == ("Terminating", ["kubernetes"])
        listed = sandbox.kubectl("get", "namespace", "shop", check=True).stdout.splitlines()
        assert listed[1].split()[:2] == ["shop", "Terminating"]

        api.patch(splits_path("shop") + "/held", {"metadata": {"finalizers": None}})
        wait_for(lambda: api.get("/api/v1/namespaces/shop").status == 404, what="the namespace to disappear")
        events = []
        for event in watch.events():
            events.append(event)
            if event["type"] == "DELETED":
                break
    types = [e["type"] for e in events]
    assert types[0] == "MODIFIED" and types[-1] == "DELETED" and set(types[1:-1]) <= {"MODIFIED"}
    assert events[0]["object"]["status"]["phase"] == "Terminating"


@covers("verbs.create", "errors.invalid")
def test_no_new_content_in_a_terminating_namespace(sandbox, api):
    """Real: NamespaceLifecycle admission refuses creates in a Terminating namespace with 403
    Forbidden `<resource> "<name>" is forbidden: unable to create new content in namespace X
    because it is being terminated` and a NamespaceTerminating cause on metadata.namespace;
    updates are still accepted, and updating the namespace itself does not delete it while its
    spec.finalizers remain."""
    api.post("/api/v1/namespaces", {"metadata": {"name": "shop"}})
    api.post(splits_path("shop"), _held_split("held", "shop"))
    api.delete("/api/v1/namespaces/shop")
    refused = api.post(splits_path("shop"), split("late", "shop"))
    assert (refused.status, refused.reason) == (403, "Forbidden")
    assert refused.message == ('trafficsplits.split.smi-spec.io "late" is forbidden: unable to create new content '
                               "in namespace shop because it is being terminated")
    assert refused.body["details"]["causes"] == [{"reason": "NamespaceTerminating", "field": "metadata.namespace",
                                                  "message": "namespace shop is being terminated"}]
    result = sandbox.kubectl("create", "-f", "-", input=yaml.safe_dump(split("late", "shop")))
    assert result.returncode == 1
    assert result.stderr.strip() == (
        'Error from server (Forbidden): error when creating "STDIN": trafficsplits.split.smi-spec.io "late" is '
        "forbidden: unable to create new content in namespace shop because it is being terminated")
    assert api.get(splits_path("shop") + "/late").status == 404
    assert api.patch(splits_path("shop") + "/held", {"metadata": {"labels": {"still": "editable"}}}).status == 200
    sandbox.kubectl("label", "namespace", "shop", "still=editable", check=True)  # an update does not finish it
    labelled = api.get("/api/v1/namespaces/shop").body
    assert (labelled["status"]["phase"], labelled["metadata"]["labels"]["still"]) == ("Terminating", "editable")


@covers("verbs.delete", "client.kubectl")
def test_kubectl_delete_namespace_waits_until_it_is_gone(sandbox, api):
    """Real: `kubectl delete namespace` waits for the object to disappear (the namespace
    controller finalizes it after deleting its content), then says it was deleted."""
    sandbox.kubectl("create", "namespace", "shop", check=True)
    api.post(splits_path("shop"), split("web", "shop"))
    result = sandbox.kubectl("delete", "namespace", "shop", "--timeout=30s", check=True)
    assert result.stdout.strip() == 'namespace "shop" deleted'
    gone = sandbox.kubectl("get", "namespace", "shop")
    assert gone.returncode == 1 and 'namespaces "shop" not found' in gone.stderr
    assert api.get(splits_path("shop") + "/web").status == 404
    assert api.get("/api/v1/namespaces/shop/serviceaccounts/default").status == 404


@covers("resources.builtin", "verbs.patch-merge")
def test_an_update_cannot_change_a_namespaces_finalizers(api):
    """Real: a created Namespace always gets the `kubernetes` finalizer (after any given), and
    updates keep spec.finalizers as stored - only the finalize subresource changes them."""
    created = api.post("/api/v1/namespaces", {"metadata": {"name": "shop"},
                                              "spec": {"finalizers": ["example.com/first"]}}).body
    assert created["spec"]["finalizers"] == ["example.com/first", "kubernetes"]
    patched = api.patch("/api/v1/namespaces/shop", {"spec": {"finalizers": []}, "metadata": {"labels": {"a": "b"}}})
    assert patched.status == 200 and patched.body["spec"]["finalizers"] == ["example.com/first", "kubernetes"]
    assert patched.body["metadata"]["labels"]["a"] == "b"


# ---- finalizers and generation on deletion ------------------------------------------------------

@covers("verbs.delete", "meta.generation", "errors.invalid")
def test_a_deleting_object_takes_no_new_finalizers_and_deletion_bumps_generation(sandbox, api):
    """Real: deleting an object its finalizers hold sets deletionTimestamp and
    deletionGracePeriodSeconds 0 and bumps generation once (markAsDeleting); from then on an
    update adding a finalizer is 422 `metadata.finalizers: Forbidden: no new finalizers can be
    added if the object is being deleted, found new finalizers []string{...}`, while removing
    finalizers is allowed and the last removal deletes the object."""
    created = api.post(splits_path(), _held_split("web", "default")).body
    assert created["metadata"]["generation"] == 1
    result = sandbox.kubectl("delete", "trafficsplit", "web", "--wait=false", check=True)
    assert result.stdout.strip() == 'trafficsplit.split.smi-spec.io "web" deleted'
    marked = api.get(splits_path() + "/web").body["metadata"]
    assert marked["generation"] == 2 and marked["deletionTimestamp"] and marked["deletionGracePeriodSeconds"] == 0
    assert api.delete(splits_path() + "/web").body["metadata"]["generation"] == 2  # marked once
    patch = json.dumps({"metadata": {"finalizers": ["example.com/hold", "example.com/late", "example.com/also"]}})
    refused = sandbox.kubectl("patch", "trafficsplit", "web", "--type=merge", "-p", patch)
    assert refused.returncode == 1
    assert refused.stderr.strip() == (
        'The TrafficSplit "web" is invalid: metadata.finalizers: Forbidden: no new finalizers can be added if '
        'the object is being deleted, found new finalizers []string{"example.com/also", "example.com/late"}')
    answer = api.patch(splits_path() + "/web", {"metadata": {"finalizers": ["example.com/hold", "x.io/y"]}})
    assert (answer.status, answer.body["details"]["causes"][0]["field"]) == (422, "metadata.finalizers")
    assert api.get(splits_path() + "/web").body["metadata"]["finalizers"] == ["example.com/hold"]
    sandbox.kubectl("patch", "trafficsplit", "web", "--type=json", "-p",
                    '[{"op": "remove", "path": "/metadata/finalizers"}]', check=True)
    assert api.get(splits_path() + "/web").status == 404


@covers("meta.generation")
def test_finalizers_may_be_added_before_deletion_and_kinds_without_generation_get_none(api):
    """Real: new finalizers are refused only once deletionTimestamp is set; the deletion mark
    bumps generation only for kinds that have one (a Service has no generation)."""
    api.post(splits_path(), split("web"))
    added = api.patch(splits_path() + "/web", {"metadata": {"finalizers": ["example.com/hold"]}})
    assert added.status == 200 and added.body["metadata"]["generation"] == 1
    service = {"metadata": {"name": "web", "finalizers": ["example.com/hold"]}, "spec": {"ports": [{"port": 80}]}}
    api.post("/api/v1/namespaces/default/services", service)
    marked = api.delete("/api/v1/namespaces/default/services/web").body["metadata"]
    assert marked["deletionTimestamp"] and "generation" not in marked


# ---- immutable uid ------------------------------------------------------------------------------

@covers("meta.identity", "verbs.patch-json", "errors.invalid")
def test_a_patch_cannot_change_the_uid(sandbox, api):
    """Real: metadata.uid is immutable - a patch that changes it is 422 `metadata.uid: Invalid
    value: "...": field is immutable` (an update that sends no uid keeps the stored one)."""
    created = api.post(splits_path(), split("web")).body
    uid = created["metadata"]["uid"]
    patch = '[{"op": "replace", "path": "/metadata/uid", "value": "0a1b2c3d-0000-4000-8000-000000000000"}]'
    result = sandbox.kubectl("patch", "trafficsplit", "web", "--type=json", "-p", patch)
    assert result.returncode == 1
    assert result.stderr.strip() == (
        'The TrafficSplit "web" is invalid: metadata.uid: Invalid value: "0a1b2c3d-0000-4000-8000-000000000000": '
        "field is immutable")
    merge = api.patch(splits_path() + "/web", {"metadata": {"uid": "other"}})
    assert (merge.status, merge.reason, merge.body["details"]["causes"]) == (422, "Invalid", [
        {"reason": "FieldValueInvalid", "message": 'Invalid value: "other": field is immutable',
         "field": "metadata.uid"}])
    unchanged = api.get(splits_path() + "/web").body["metadata"]
    assert (unchanged["uid"], unchanged["resourceVersion"]) == (uid, created["metadata"]["resourceVersion"])
    kept = api.patch(splits_path() + "/web", [{"op": "remove", "path": "/metadata/uid"}],
                     content_type="application/json-patch+json")
    assert kept.status == 200 and kept.body["metadata"]["uid"] == uid


@covers("meta.identity", "verbs.update")
def test_a_replace_with_another_uid_fails_its_storage_precondition(sandbox, api):
    """Real: a PUT body's uid is a storage precondition, so a replace carrying another object's
    uid (say, of an earlier object of the same name) is 409 Conflict `StorageError: invalid
    object ... Precondition failed: UID in precondition: X, UID in object meta: Y`."""
    stored = api.post(splits_path(), split("web")).body
    stale = {**stored, "metadata": {**stored["metadata"], "uid": "0a1b2c3d-0000-4000-8000-000000000000"}}
    result = sandbox.kubectl("replace", "-f", "-", input=yaml.safe_dump(stale))
    assert result.returncode == 1
    assert result.stderr.strip() == (
        'Error from server (Conflict): error when replacing "STDIN": Operation cannot be fulfilled on '
        'trafficsplits.split.smi-spec.io "web": StorageError: invalid object, Code: 4, Key: '
        "/registry/split.smi-spec.io/trafficsplits/default/web, ResourceVersion: 0, AdditionalErrorMsg: "
        "Precondition failed: UID in precondition: 0a1b2c3d-0000-4000-8000-000000000000, UID in object meta: "
        f"{stored['metadata']['uid']}")
    assert api.put(splits_path() + "/web", stored).status == 200


# ---- client-side apply, then server-side apply --------------------------------------------------

MANIFEST = """
apiVersion: split.smi-spec.io/v1alpha4
kind: TrafficSplit
metadata: {name: web, namespace: default, labels: {tier: web}}
spec:
  service: web
  backends:
  - {service: web-v1, weight: 90}
  - {service: web-v2, weight: 10}
"""


@covers("verbs.apply", "meta.managed-fields", "client.kubectl")
def test_server_side_apply_takes_over_what_client_side_apply_set(sandbox, api):
    """Real: `kubectl apply --server-side` (manager `kubectl`) over an object made by client-side
    `kubectl apply` does not conflict on fields whose values still match the last-applied
    annotation: the server applies them as forced and rewrites the annotation to the applied
    configuration; kubectl then moves the `kubectl-client-side-apply` manager's fields to its
    own Apply entry, so that manager is gone."""
    sandbox.kubectl("apply", "-f", "-", input=MANIFEST, check=True)
    before = api.get(splits_path() + "/web").body["metadata"]
    assert [m["manager"] for m in before["managedFields"]] == ["kubectl-client-side-apply"]
    changed = MANIFEST.replace("weight: 10}", "weight: 20}")
    result = sandbox.kubectl("apply", "--server-side", "-f", "-", input=changed)
    assert (result.returncode, result.stdout.strip(), result.stderr) == (
        0, "trafficsplit.split.smi-spec.io/web serverside-applied", "")
    stored = api.get(splits_path() + "/web").body
    assert [b["weight"] for b in stored["spec"]["backends"]] == [90, 20]
    owners = {(m["manager"], m["operation"]) for m in stored["metadata"]["managedFields"]}
    assert ("kubectl", "Apply") in owners and not any(m == "kubectl-client-side-apply" for m, _ in owners)
    kubectl_fields = next(m for m in stored["metadata"]["managedFields"] if m["manager"] == "kubectl")["fieldsV1"]
    assert "f:backends" in kubectl_fields["f:spec"] and "f:tier" in kubectl_fields["f:metadata"]["f:labels"]
    annotation = stored["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"]
    assert annotation.endswith("}\n")
    assert json.loads(annotation) == yaml.safe_load(changed)
    again = sandbox.kubectl("apply", "--server-side", "-f", "-", input=changed, check=True)
    assert again.stderr == ""


@covers("verbs.apply")
def test_the_takeover_is_kubectls_alone_and_only_for_unchanged_fields(sandbox, api):
    """Real: only the manager `kubectl` is upgraded (another field manager still conflicts with
    `kubectl-client-side-apply`), and a field changed since the client-side apply (its value no
    longer the last-applied one) still conflicts with whoever changed it."""
    sandbox.kubectl("apply", "-f", "-", input=MANIFEST, check=True)
    changed = MANIFEST.replace("weight: 10}", "weight: 20}")
    other = sandbox.kubectl("apply", "--server-side", "--field-manager=rollouts", "-f", "-", input=changed)
    assert other.returncode == 1
    assert 'conflict with "kubectl-client-side-apply" using split.smi-spec.io/v1alpha4: .spec.backends' in other.stderr
    sandbox.kubectl("patch", "trafficsplit", "web", "--type=merge", "-p", '{"spec": {"service": "api"}}', check=True)
    edited = sandbox.kubectl("apply", "--server-side", "-f", "-", input=changed)
    assert edited.returncode == 1
    assert ('Apply failed with 1 conflict: conflict with "kubectl-patch" using split.smi-spec.io/v1alpha4: '
            '.spec.service') in edited.stderr
    assert api.get(splits_path() + "/web").body["spec"]["service"] == "api"


# ---- the product over a terminating namespace ---------------------------------------------------

@pytest.mark.django_db(transaction=True)
@covers("verbs.delete", "client.kubectl")
def test_sync_drops_the_objects_of_a_deleted_namespace(sandbox_factory):
    """Real: a namespace's objects are deleted by the namespace controller after the namespace
    goes Terminating (watches see their DELETED events), so the inventory loses them while the
    other namespaces' objects stay."""
    from smi_ui.clusters.services import register_from_kubeconfig
    from smi_ui.clusters.sync import ClusterSync
    from smi_ui.inventory.models import KubeObject
    from smi_ui.kube.watch import WatchSettings
    from smi_ui.sandbox.demo import demo_objects

    handle = sandbox_factory(objects=demo_objects())
    (cluster,) = register_from_kubeconfig(handle.kubeconfig)
    sync = ClusterSync(cluster, watch_settings=WatchSettings(watch_timeout_seconds=30, backoff_initial=0.1,
                                                             backoff_max=1.0), rediscover_seconds=0.5)
    sync.start()
    try:
        def names_in(namespace: str) -> set[tuple[str, str]]:
            return set(KubeObject.objects.filter(cluster=cluster, namespace=namespace).values_list("kind", "name"))
        def demo_names(namespace: str) -> set[tuple[str, str]]:
            return {(o["kind"], o["metadata"]["name"]) for o in demo_objects()
                    if o["metadata"].get("namespace") == namespace}
        wait_for(lambda: demo_names("bookstore") <= names_in("bookstore")
                 and demo_names("storefront") <= names_in("storefront"), timeout=30, what="both namespaces synced")
        kept = names_in("bookstore")
        handle.kubectl("delete", "namespace", "storefront", "--timeout=30s", check=True)
        wait_for(lambda: not names_in("storefront"), timeout=30, what="the storefront objects gone")
        assert names_in("bookstore") == kept
    finally:
        sync.stop()
