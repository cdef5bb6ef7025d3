"""The sandbox speaks the Kubernetes API as kube-apiserver does: discovery, verbs, metadata, errors.

Each test drives the server over plain HTTP and checks codes, reasons and wording that
clients depend on.
"""

from __future__ import annotations

import copy

import pytest

from .support import Api, split, splits_path

covers = pytest.mark.covers


@pytest.fixture
def api(sandbox) -> Api:
    return Api(sandbox.url)


# ---- discovery ----------------------------------------------------------------------------------

@covers("discovery.version")
def test_version_reports_a_kubernetes_version(api):
    answer = api.get("/version")
    assert answer.status == 200
    assert answer.body["major"] == "1" and answer.body["gitVersion"].startswith("v1.")


@covers("discovery.legacy")
def test_legacy_discovery_lists_groups_versions_and_complete_resources(api):
    assert api.get("/api").body["versions"] == ["v1"]
    groups = {g["name"]: g for g in api.get("/apis").body["groups"]}
    assert groups["split.smi-spec.io"]["preferredVersion"]["version"] == "v1alpha4"
    assert api.get("/apis/split.smi-spec.io").body["versions"] == [
        {"groupVersion": "split.smi-spec.io/v1alpha4", "version": "v1alpha4"}]
    resources = {r["name"]: r for r in api.get("/apis/split.smi-spec.io/v1alpha4").body["resources"]}
    assert resources["trafficsplits"] | {"storageVersionHash": ""} == {
        "name": "trafficsplits", "singularName": "trafficsplit", "namespaced": True, "kind": "TrafficSplit",
        "verbs": ["delete", "deletecollection", "get", "list", "patch", "create", "update", "watch"],
        "shortNames": ["ts"], "storageVersionHash": ""}
    core = {r["name"]: r for r in api.get("/api/v1").body["resources"]}
    assert core["services"]["shortNames"] == ["svc"] and core["services"]["categories"] == ["all"]
    assert core["namespaces"]["namespaced"] is False
    assert core["pods/status"]["verbs"] == ["get", "patch", "update"]


@covers("discovery.aggregated")
def test_aggregated_discovery_answers_in_the_media_type_asked_for(api):
    accept = ("application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"
              "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json")
    answer = api.request("GET", "/apis", headers={"Accept": accept})
    assert answer.headers["Content-Type"] == "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
    groups = {item["metadata"]["name"]: item for item in answer.body["items"]}
    split_resources = groups["split.smi-spec.io"]["versions"][0]["resources"]
    assert split_resources[0]["resource"] == "trafficsplits" and split_resources[0]["scope"] == "Namespaced"
    assert api.request("GET", "/apis", headers={"Accept": "application/json"}).body["kind"] == "APIGroupList"


@covers("openapi.v3")
def test_openapi_v3_advertises_field_validation_on_patch(api):
    root = api.get("/openapi/v3").body["paths"]
    document = api.get("/" + root["apis/split.smi-spec.io/v1alpha4"]["serverRelativeURL"].lstrip("/")).body
    patch = document["paths"]["/apis/split.smi-spec.io/v1alpha4/namespaces/{namespace}/trafficsplits/{name}"]["patch"]
    assert any(p["name"] == "fieldValidation" and p["in"] == "query" for p in patch["parameters"])
    assert patch["x-kubernetes-group-version-kind"] == {
        "group": "split.smi-spec.io", "version": "v1alpha4", "kind": "TrafficSplit"}


@covers("resources.crds")
def test_crds_describe_the_layouts_served_versions_with_schemas(sandbox_factory):
    api = Api(sandbox_factory(layout="linkerd-smi").url)
    crds = api.get("/apis/apiextensions.k8s.io/v1/customresourcedefinitions").body["items"]
    assert [c["metadata"]["name"] for c in crds] == ["trafficsplits.split.smi-spec.io"]
    versions = crds[0]["spec"]["versions"]
    assert [(v["name"], v["served"], v["storage"]) for v in versions] == [("v1alpha1", True, True),
                                                                          ("v1alpha2", True, False)]
    assert versions[1]["schema"]["openAPIV3Schema"]["properties"]["spec"]["required"] == ["service", "backends"]


@covers("resources.crds")
def test_installing_and_removing_a_crd_changes_what_is_served(sandbox_factory):
    api = Api(sandbox_factory(layout="osm").url)
    crd = api.get("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/trafficsplits.split.smi-spec.io").body
    api.post(splits_path(version="v1alpha2"), split("old", version="v1alpha2"))
    crd["spec"]["versions"][0]["storage"] = False
    crd["spec"]["versions"].append({**crd["spec"]["versions"][0], "name": "v1alpha4", "storage": True})
    assert api.put(f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{crd['metadata']['name']}",
                   crd).status == 200
    assert [v["version"] for v in api.get("/apis/split.smi-spec.io").body["versions"]] == ["v1alpha4", "v1alpha2"]
    assert api.get(splits_path(version="v1alpha4") + "/old").body["apiVersion"] == "split.smi-spec.io/v1alpha4"
    broken = {**crd, "metadata": {"name": "wrong.example.com"}}
    assert api.post("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", broken).status == 422
    assert api.delete(f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{crd['metadata']['name']}").status \
        == 200
    assert api.get("/apis/split.smi-spec.io").status == 404
    assert api.get(splits_path(version="v1alpha4")).status == 404


@covers("resources.layouts", "errors.unserved")
@pytest.mark.sandbox(layout="osm")
def test_osm_serves_traffic_split_v1alpha2_only(api):
    assert [v["version"] for v in api.get("/apis/split.smi-spec.io").body["versions"]] == ["v1alpha2"]
    assert api.post(splits_path(version="v1alpha2"), split("a", version="v1alpha2")).status == 201
    unserved = api.get(splits_path(version="v1alpha4"))  # upstream's fall-through handler: plain text
    assert (unserved.status, unserved.body) == (404, "404 page not found\n")
    assert api.get("/apis/specs.smi-spec.io/v1alpha4/namespaces/default/udproutes").status == 404
    assert api.get("/apis/no.such.group/v1").status == 404


@covers("resources.layouts")
def test_smi_sdk_go_serves_v1alpha4_and_udp_routes(api):
    groups = {g["name"]: g["preferredVersion"]["version"] for g in api.get("/apis").body["groups"]}
    assert groups["split.smi-spec.io"] == "v1alpha4" and groups["access.smi-spec.io"] == "v1alpha3"
    kinds = {r["kind"] for r in api.get("/apis/specs.smi-spec.io/v1alpha4").body["resources"]}
    assert kinds == {"HTTPRouteGroup", "TCPRoute", "UDPRoute"}


@covers("resources.builtin")
def test_builtin_kinds_get_server_side_defaults(api):
    assert api.post("/api/v1/namespaces", {"metadata": {"name": "shop"}}).status == 201
    service = api.post("/api/v1/namespaces/shop/services",
                       {"metadata": {"name": "web"}, "spec": {"ports": [{"port": 80}]}}).body
    assert service["spec"]["clusterIP"].startswith("10.96.") and service["spec"]["type"] == "ClusterIP"
    assert service["spec"]["ports"] == [{"port": 80, "protocol": "TCP", "targetPort": 80}]
    deployment = {"metadata": {"name": "web"}, "spec": {
        "replicas": 3, "selector": {"matchLabels": {"app": "web"}},
        "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "c", "image": "i"}]}}}}
    created = api.post("/apis/apps/v1/namespaces/shop/deployments", deployment).body
    assert created["status"]["availableReplicas"] == 3 and created["metadata"]["generation"] == 1
    pod = api.post("/api/v1/namespaces/shop/pods", {"metadata": {"name": "p"}, "spec": {
        "containers": [{"name": "c", "image": "i"}]}}).body
    assert pod["status"]["phase"] == "Running"
    accounts = api.get("/api/v1/namespaces/shop/serviceaccounts").body["items"]
    assert [a["metadata"]["name"] for a in accounts] == ["default"]
    bad = api.post("/api/v1/namespaces/shop/services", {"metadata": {"name": "1web"}, "spec": {"ports": []}})
    assert bad.status == 422 and "a DNS-1035 label must consist of" in bad.message


# ---- verbs and metadata -------------------------------------------------------------------------

@covers("verbs.create", "meta.identity", "meta.resource-version", "meta.managed-fields")
def test_create_answers_201_with_server_owned_metadata(api, sandbox):
    before = sandbox.cluster.resource_version
    answer = api.post(splits_path(), split("web"), fieldManager="dashboard")
    assert answer.status == 201
    metadata = answer.body["metadata"]
    assert int(metadata["resourceVersion"]) == before + 1
    assert len(metadata["uid"]) == 36 and metadata["creationTimestamp"].endswith("Z")
    assert metadata["generation"] == 1
    [entry] = metadata["managedFields"]
    assert (entry["manager"], entry["operation"], entry["apiVersion"]) == (
        "dashboard", "Update", "split.smi-spec.io/v1alpha4")
    assert entry["fieldsV1"]["f:spec"] == {".": {}, "f:backends": {}, "f:service": {}}
    assert entry["time"].endswith("Z")
    again = api.post(splits_path(), split("web"))
    assert (again.status, again.reason, again.message) == (
        409, "AlreadyExists", 'trafficsplits.split.smi-spec.io "web" already exists')


@covers("verbs.get")
def test_get_returns_the_object_or_a_not_found_status(api):
    api.post(splits_path(), split("web"))
    assert api.get(splits_path() + "/web").body["spec"]["service"] == "web"
    missing = api.get(splits_path() + "/nope")
    assert missing.status == 404
    assert missing.body == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                            "message": 'trafficsplits.split.smi-spec.io "nope" not found', "reason": "NotFound",
                            "details": {"name": "nope", "group": "split.smi-spec.io", "kind": "trafficsplits"},
                            "code": 404}


@covers("verbs.list", "meta.resource-version")
def test_list_namespaced_and_across_namespaces_with_a_list_resource_version(api, sandbox):
    api.post("/api/v1/namespaces", {"metadata": {"name": "other"}})
    for name, namespace in (("a", "default"), ("b", "default"), ("c", "other")):
        api.post(splits_path(namespace), split(name, namespace))
    listed = api.get(splits_path("default")).body
    assert listed["kind"] == "TrafficSplitList" and [i["metadata"]["name"] for i in listed["items"]] == ["a", "b"]
    assert listed["metadata"]["resourceVersion"] == str(sandbox.cluster.resource_version)
    everywhere = api.get(splits_path(None)).body["items"]
    assert [(i["metadata"]["namespace"], i["metadata"]["name"]) for i in everywhere] == [
        ("default", "a"), ("default", "b"), ("other", "c")]
    page = api.get(splits_path(None), limit=2).body
    assert len(page["items"]) == 2 and page["metadata"]["remainingItemCount"] == 1
    rest = api.get(splits_path(None), limit=2, **{"continue": page["metadata"]["continue"]}).body
    assert [i["metadata"]["name"] for i in rest["items"]] == ["c"]


@covers("verbs.label-selector")
def test_label_selectors_support_every_operator(api):
    for name, labels in (("a", {"tier": "web", "canary": "yes"}), ("b", {"tier": "db"}), ("c", {})):
        api.post(splits_path(), split(name, labels=labels))

    def names(selector: str) -> list[str]:
        return [i["metadata"]["name"] for i in api.get(splits_path(), labelSelector=selector).body["items"]]

    assert names("tier=web") == names("tier==web") == ["a"]
    assert names("tier!=web") == ["b", "c"]
    assert names("tier in (web,db)") == ["a", "b"]
    assert names("tier notin (web)") == ["b", "c"]
    assert names("canary") == ["a"]
    assert names("!canary") == ["b", "c"]
    assert names("tier=web,canary=no") == []
    broken = api.get(splits_path(), labelSelector="tier in web")
    assert broken.status == 400 and broken.message.startswith("unable to parse requirement")


@covers("verbs.field-selector")
def test_field_selectors_on_name_and_namespace(api):
    api.post("/api/v1/namespaces", {"metadata": {"name": "other"}})
    api.post(splits_path(), split("a"))
    api.post(splits_path(), split("b"))
    api.post(splits_path("other"), split("a", "other"))
    by_name = api.get(splits_path(None), fieldSelector="metadata.name=a").body["items"]
    assert sorted(i["metadata"]["namespace"] for i in by_name) == ["default", "other"]
    not_default = api.get(splits_path(None), fieldSelector="metadata.namespace!=default").body["items"]
    assert [i["metadata"]["name"] for i in not_default] == ["a"]
    unsupported = api.get(splits_path(), fieldSelector="spec.service=web")
    assert (unsupported.status, unsupported.message) == (400, "field label not supported: spec.service")


@covers("verbs.update", "meta.generation")
def test_put_updates_bumps_generation_on_spec_changes_only_and_refuses_stale_versions(api):
    created = api.post(splits_path(), split("web")).body
    changed = copy.deepcopy(created)
    changed["spec"]["backends"][0]["weight"] = 50
    updated = api.put(splits_path() + "/web", changed).body
    assert updated["metadata"]["generation"] == 2
    relabelled = copy.deepcopy(updated)
    relabelled["metadata"]["labels"] = {"team": "a"}
    assert api.put(splits_path() + "/web", relabelled).body["metadata"]["generation"] == 2
    stale = api.put(splits_path() + "/web", changed)
    assert (stale.status, stale.reason) == (409, "Conflict")
    assert stale.message == ('Operation cannot be fulfilled on trafficsplits.split.smi-spec.io "web": the object has '
                             "been modified; please apply your changes to the latest version and try again")


@covers("verbs.update")
def test_an_unchanged_put_stores_nothing(api, sandbox):
    created = api.post(splits_path(), split("web")).body
    before = sandbox.cluster.resource_version
    same = api.put(splits_path() + "/web", created).body
    assert same["metadata"]["resourceVersion"] == created["metadata"]["resourceVersion"]
    assert sandbox.cluster.resource_version == before


@covers("verbs.patch-merge", "meta.managed-fields")
def test_merge_patch_changes_a_weight_and_records_the_patching_manager(api):
    api.post(splits_path(), split("web"), fieldManager="creator")
    patched = api.patch(splits_path() + "/web", {"spec": {"backends": [{"service": "web-v1", "weight": 1}]}},
                        fieldManager="editor").body
    assert patched["spec"]["backends"] == [{"service": "web-v1", "weight": 1}]
    managers = {m["manager"]: m for m in patched["metadata"]["managedFields"]}
    assert managers["editor"]["fieldsV1"] == {"f:spec": {"f:backends": {}}}
    assert managers["creator"]["fieldsV1"]["f:spec"] == {".": {}, "f:service": {}}
    stale = api.patch(splits_path() + "/web", {"metadata": {"resourceVersion": "1"}, "spec": {"service": "x"}})
    assert stale.status == 409 and stale.reason == "Conflict"


@covers("verbs.patch-json")
def test_json_patch_with_a_failing_test_operation_is_refused(api):
    created = api.post(splits_path(), split("web")).body
    ops = [{"op": "test", "path": "/metadata/resourceVersion", "value": created["metadata"]["resourceVersion"]},
           {"op": "replace", "path": "/spec/backends/1/weight", "value": 30}]
    patched = api.patch(splits_path() + "/web", ops, content_type="application/json-patch+json")
    assert patched.status == 200 and patched.body["spec"]["backends"][1]["weight"] == 30
    again = api.patch(splits_path() + "/web", ops, content_type="application/json-patch+json")
    assert again.status == 422 and "test failed" in again.message


@covers("verbs.patch-strategic")
def test_strategic_merge_patch_merges_containers_by_name_and_is_refused_for_custom_resources(api):
    deployment = {"metadata": {"name": "web"}, "spec": {
        "selector": {"matchLabels": {"app": "web"}},
        "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [
            {"name": "app", "image": "app:1"}, {"name": "proxy", "image": "proxy:1"}]}}}}
    api.post("/apis/apps/v1/namespaces/default/deployments", deployment)
    patch = {"spec": {"template": {"spec": {"containers": [{"name": "app", "image": "app:2"}]}}}}
    patched = api.patch("/apis/apps/v1/namespaces/default/deployments/web", patch,
                        content_type="application/strategic-merge-patch+json").body
    containers = patched["spec"]["template"]["spec"]["containers"]
    assert [(c["name"], c["image"]) for c in containers] == [("app", "app:2"), ("proxy", "proxy:1")]
    assert patched["metadata"]["generation"] == 2
    api.post(splits_path(), split("web"))
    refused = api.patch(splits_path() + "/web", {"spec": {}}, content_type="application/strategic-merge-patch+json")
    assert (refused.status, refused.reason) == (415, "UnsupportedMediaType")


@covers("verbs.apply", "meta.managed-fields")
def test_server_side_apply_creates_owns_conflicts_and_forces(api):
    config = split("web")
    created = api.patch(splits_path() + "/web", config, content_type="application/apply-patch+yaml",
                        fieldManager="gitops")
    assert created.status == 201
    [entry] = created.body["metadata"]["managedFields"]
    assert (entry["manager"], entry["operation"]) == ("gitops", "Apply")
    api.patch(splits_path() + "/web", {"spec": {"service": "other"}}, fieldManager="human")
    conflict = api.patch(splits_path() + "/web", config, content_type="application/apply-patch+yaml",
                         fieldManager="gitops")
    assert conflict.status == 409
    assert conflict.message == ('Apply failed with 1 conflict: conflict with "human" using split.smi-spec.io/v1alpha4: '
                                ".spec.service")
    assert conflict.body["details"]["causes"] == [{"reason": "FieldManagerConflict",
                                                   "message": 'conflict with "human" using split.smi-spec.io/v1alpha4',
                                                   "field": ".spec.service"}]
    forced = api.patch(splits_path() + "/web", config, content_type="application/apply-patch+yaml",
                       fieldManager="gitops", force="true").body
    assert forced["spec"]["service"] == "web"
    assert [m["manager"] for m in forced["metadata"]["managedFields"]] == ["gitops"]
    missing_manager = api.patch(splits_path() + "/web", config, content_type="application/apply-patch+yaml")
    assert missing_manager.status == 422 and "fieldManager: Required value" in missing_manager.message


@covers("verbs.apply")
def test_applying_less_removes_the_fields_the_manager_stopped_applying(api):
    config = split("web", labels={"a": "1", "b": "2"})
    api.patch(splits_path() + "/web", config, content_type="application/apply-patch+yaml", fieldManager="gitops")
    del config["metadata"]["labels"]["b"]
    applied = api.patch(splits_path() + "/web", config, content_type="application/apply-patch+yaml",
                        fieldManager="gitops").body
    assert applied["metadata"]["labels"] == {"a": "1"}


@covers("verbs.delete")
def test_delete_checks_preconditions_and_answers_like_upstream(api):
    created = api.post(splits_path(), split("web")).body
    wrong = api.delete(splits_path() + "/web", {"preconditions": {"uid": "nope"}})
    assert wrong.status == 409 and wrong.reason == "Conflict"
    assert "Precondition failed: UID in precondition: nope, UID in object meta: " in wrong.message
    stale = api.delete(splits_path() + "/web", {"preconditions": {"resourceVersion": "1"}})
    assert stale.status == 409 and "ResourceVersion in precondition: 1" in stale.message
    deleted = api.delete(splits_path() + "/web", {"preconditions": {"uid": created["metadata"]["uid"]}})
    assert deleted.status == 200
    assert deleted.body == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
                            "details": {"name": "web", "group": "split.smi-spec.io", "kind": "trafficsplits",
                                        "uid": created["metadata"]["uid"]}}
    api.post("/api/v1/namespaces/default/serviceaccounts", {"metadata": {"name": "robot"}})
    assert api.delete("/api/v1/namespaces/default/serviceaccounts/robot").body["kind"] == "ServiceAccount"
    assert api.delete(splits_path() + "/web").status == 404


@covers("verbs.delete")
def test_finalizers_hold_deletion_until_removed(api):
    obj = split("web")
    obj["metadata"]["finalizers"] = ["example.com/hold"]
    api.post(splits_path(), obj)
    pending = api.delete(splits_path() + "/web").body
    assert pending["metadata"]["deletionTimestamp"]
    assert api.get(splits_path() + "/web").status == 200
    api.patch(splits_path() + "/web", {"metadata": {"finalizers": None}})
    assert api.get(splits_path() + "/web").status == 404


@covers("verbs.deletecollection")
def test_deletecollection_removes_what_the_selector_matches(api):
    for name, tier in (("a", "web"), ("b", "web"), ("c", "db")):
        api.post(splits_path(), split(name, labels={"tier": tier}))
    deleted = api.delete(splits_path(), labelSelector="tier=web").body
    assert deleted["kind"] == "TrafficSplitList" and len(deleted["items"]) == 2
    assert [i["metadata"]["name"] for i in api.get(splits_path()).body["items"]] == ["c"]


@covers("verbs.table")
def test_table_responses_have_the_crd_printer_columns(api):
    api.post(splits_path(), split("web"))
    answer = api.request("GET", splits_path(), headers={
        "Accept": "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"})
    assert answer.headers["Content-Type"].startswith("application/json;as=Table")
    assert [c["name"] for c in answer.body["columnDefinitions"]] == ["Name", "Service"]  # declared: no Age
    assert answer.body["rows"][0]["cells"][:2] == ["web", "web"]
    assert answer.body["rows"][0]["object"]["kind"] == "PartialObjectMetadata"


@covers("verbs.dry-run")
def test_dry_run_validates_without_storing_or_bumping_the_counter(api, sandbox):
    before = sandbox.cluster.resource_version
    dry = api.post(splits_path(), split("web"), dryRun="All")
    assert dry.status == 201 and dry.body["metadata"]["uid"]
    assert api.get(splits_path() + "/web").status == 404
    invalid = api.post(splits_path(), {**split("web"), "spec": {}}, dryRun="All")
    assert invalid.status == 422
    api.post(splits_path(), split("web"))
    after_create = sandbox.cluster.resource_version
    assert api.delete(splits_path() + "/web", dryRun="All").status == 200
    assert api.get(splits_path() + "/web").status == 200
    assert after_create == before + 1 == sandbox.cluster.resource_version


# ---- errors ---------------------------------------------------------------------------------------

@covers("errors.invalid")
def test_invalid_objects_get_422_with_causes_and_the_upstream_message(api):
    obj = split("web")
    del obj["spec"]["service"]
    obj["spec"]["backends"][0]["weight"] = "heavy"
    answer = api.post(splits_path(), obj)
    assert (answer.status, answer.reason) == (422, "Invalid")
    causes = answer.body["details"]["causes"]
    assert {(c["reason"], c["field"]) for c in causes} == {("FieldValueTypeInvalid", "spec.backends[0].weight"),
                                                            ("FieldValueRequired", "spec.service")}
    assert answer.body["details"]["kind"] == "TrafficSplit" and answer.body["details"]["group"] == "split.smi-spec.io"
    one = api.post(splits_path(), {**split("web"), "spec": {"backends": []}})
    assert one.message == 'TrafficSplit.split.smi-spec.io "web" is invalid: spec.service: Required value'


@covers("errors.strict", "errors.warn", "errors.ignore")
def test_unknown_fields_under_each_field_validation_mode(api):
    obj = split("web")
    obj["spec"]["foo"] = 1
    strict = api.post(splits_path(), obj, fieldValidation="Strict")
    assert (strict.status, strict.message) == (400, 'TrafficSplit in version "v1alpha4" cannot be handled as a '
                                                    'TrafficSplit: strict decoding error: unknown field "spec.foo"')
    warned = api.post(splits_path(), obj, fieldValidation="Warn")
    assert warned.status == 201 and warned.headers["Warning"] == '299 - "unknown field \\"spec.foo\\""'
    assert "foo" not in warned.body["spec"]
    ignored = api.post(splits_path(), {**obj, "metadata": {"name": "b", "namespace": "default"}},
                       fieldValidation="Ignore")
    assert ignored.status == 201 and "foo" not in ignored.body["spec"] and "Warning" not in ignored.headers
    patched = api.patch(splits_path() + "/web", {"spec": {"bar": 1}}, fieldValidation="Strict")
    assert (patched.status, patched.message) == (400, 'strict decoding error: unknown field "spec.bar"')


@covers("errors.namespace-not-found")
def test_writes_into_a_missing_namespace_are_404(api):
    answer = api.post(splits_path("ghost"), split("web", "ghost"))
    assert (answer.status, answer.message) == (404, 'namespaces "ghost" not found')
    assert answer.body["details"] == {"name": "ghost", "kind": "namespaces"}
    applied = api.patch(splits_path("ghost") + "/web", split("web", "ghost"),
                        content_type="application/apply-patch+yaml", fieldManager="m")
    assert applied.message == 'namespaces "ghost" not found'
    updated = api.put(splits_path("ghost") + "/web", split("web", "ghost"))
    assert updated.message == 'trafficsplits.split.smi-spec.io "web" not found'
    assert api.get(splits_path("ghost")).body["items"] == []
    immortal = api.delete("/api/v1/namespaces/default")
    assert (immortal.status, immortal.message) == (403, 'namespaces "default" is forbidden: this namespace may '
                                                        'not be deleted')


@covers("errors.method-not-allowed", "errors.unserved")
def test_unsupported_verbs_are_405_and_unknown_paths_404(api):
    assert api.post(splits_path(None), split("web")).status == 405
    assert api.request("PUT", splits_path()).status == 405
    assert api.get("/apis/authorization.k8s.io/v1/selfsubjectaccessreviews").status == 405
    assert api.get("/apis/split.smi-spec.io/v1alpha4/namespaces/default/nothings").status == 404
    assert api.get("/nonsense").status == 404


@covers("errors.invalid")
def test_body_and_url_must_agree(api):
    mismatch = api.post(splits_path(), split("web", "other"))
    assert mismatch.status == 400
    assert mismatch.message == "the namespace of the provided object does not match the namespace sent on the request"
    created = api.post(splits_path(), split("web")).body
    renamed = api.put(splits_path() + "/other", created)
    assert renamed.message == "the name of the object (web) does not match the name on the URL (other)"


@covers("verbs.delete", "resources.builtin")
def test_deleting_a_namespace_terminates_it_then_removes_it_with_its_content(api, sandbox):
    api.post("/api/v1/namespaces", {"metadata": {"name": "shop"}})
    api.post(splits_path("shop"), split("web", "shop"))
    with api.watch(splits_path(None)) as splits:
        assert splits.next_event()["type"] == "ADDED"
        terminating = api.delete("/api/v1/namespaces/shop").body
        assert terminating["status"]["phase"] == "Terminating"
        assert splits.next_event()["type"] == "DELETED"
    assert api.get("/api/v1/namespaces/shop").status == 404
    assert api.get(splits_path("shop") + "/web").status == 404


@covers("resources.builtin", "verbs.update")
def test_status_is_a_subresource_of_builtin_kinds(api):
    deployment = {"metadata": {"name": "web"}, "spec": {
        "selector": {"matchLabels": {"app": "web"}},
        "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "c", "image": "i"}]}}}}
    created = api.post("/apis/apps/v1/namespaces/default/deployments", deployment).body
    ignored = api.patch("/apis/apps/v1/namespaces/default/deployments/web", {"status": {"replicas": 7}}).body
    assert ignored["status"]["replicas"] == 1
    status = api.patch("/apis/apps/v1/namespaces/default/deployments/web/status",
                       {"status": {"readyReplicas": 0}, "spec": {"replicas": 5}}).body
    assert status["status"]["readyReplicas"] == 0 and status["spec"]["replicas"] == 1
    assert status["metadata"]["generation"] == created["metadata"]["generation"]
    assert api.get("/apis/apps/v1/namespaces/default/deployments/web/status").body["kind"] == "Deployment"


SEED = """
apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: split.smi-spec.io/v1alpha2
kind: TrafficSplit
metadata: {name: web, namespace: shop}
spec: {service: web, backends: [{service: web-v1, weight: 1}]}
"""


@covers("resources.layouts")
@pytest.mark.sandbox(layout="osm", objects=SEED)
def test_the_sandbox_marker_seeds_objects_from_yaml_text(api):
    assert api.get("/apis/split.smi-spec.io/v1alpha2/namespaces/shop/trafficsplits/web").status == 200


@covers("resources.layouts")
def test_objects_load_from_yaml_files(sandbox_factory, tmp_path):
    manifest = tmp_path / "seed.yaml"
    manifest.write_text(SEED)
    handle = sandbox_factory(layout="linkerd-smi", objects=[manifest])
    assert handle.cluster.get("split.smi-spec.io/v1alpha1", "TrafficSplit", "web", "shop") is not None
