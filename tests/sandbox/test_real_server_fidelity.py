"""Behaviours of a real kube-apiserver (v1.36 with etcd 3.6) the sandbox copies, each stated by its test.

They are the ones a client gets wrong when it is only ever run against a lenient server:
fields that vanish when a CRD stops serving the version that declared them, watches that
end or are refused instead of replaying, lists that are snapshots, and 404s that are not
JSON.
"""

from __future__ import annotations

import pytest

from .crd_versions import split_crd
from .support import Api, split, splits_path

covers = pytest.mark.covers

AB_TEST = {
    "apiVersion": "split.smi-spec.io/v1alpha4", "kind": "TrafficSplit",
    "metadata": {"name": "catalog-ab-test", "namespace": "default"},
    "spec": {"service": "catalog", "matches": [{"kind": "HTTPRouteGroup", "name": "firefox-users"}],
             "backends": [{"service": "catalog", "weight": 50}, {"service": "catalog-beta", "weight": 50}]},
}
AB_PATH = splits_path(version="{version}") + "/catalog-ab-test"


def ab_path(version: str) -> str:
    return AB_PATH.format(version=version)


@pytest.fixture
def ab_test(sandbox) -> Api:
    api = Api(sandbox.url)
    assert api.post(splits_path(), AB_TEST).status == 201
    return api


# --- (a) pruning on read and on write ---------------------------------------------------------


@covers("schema.structural", "resources.layouts")
def test_a_field_the_served_version_does_not_declare_is_not_returned(sandbox, ab_test):
    """Real: with a CRD serving v1alpha4 and v1alpha2, GET/list/watch in v1alpha2 omit `spec.matches`
    (v1alpha2's schema lacks it), while v1alpha4 still shows it: the field stays in etcd."""
    sandbox.cluster.apply(split_crd("v1alpha4", "v1alpha2"))
    api = ab_test
    in_v2 = api.get(ab_path("v1alpha2")).body
    assert in_v2["apiVersion"] == "split.smi-spec.io/v1alpha2"
    assert "matches" not in in_v2["spec"] and in_v2["spec"]["backends"] == AB_TEST["spec"]["backends"]
    listed = api.get(splits_path(version="v1alpha2")).body["items"]
    assert [item["spec"].get("matches") for item in listed] == [None]
    with api.watch(splits_path(version="v1alpha2"), timeoutSeconds="1") as stream:
        assert "matches" not in stream.next_event()["object"]["spec"]
    assert api.get(ab_path("v1alpha4")).body["spec"]["matches"] == AB_TEST["spec"]["matches"]


@covers("schema.structural")
def test_writing_in_a_version_that_lacks_a_field_drops_it_for_good(sandbox, ab_test):
    """Real: an update or a merge patch sent in v1alpha2 is decoded and stored in v1alpha2's
    schema, so etcd loses `spec.matches`; reading in v1alpha4 afterwards no longer shows it."""
    sandbox.cluster.apply(split_crd("v1alpha4", "v1alpha2"))
    api = ab_test
    current = api.get(ab_path("v1alpha2")).body
    current["spec"]["backends"][0]["weight"] = 60
    assert api.put(ab_path("v1alpha2"), current).status == 200
    after = api.get(ab_path("v1alpha4")).body
    assert "matches" not in after["spec"] and after["spec"]["backends"][0]["weight"] == 60

    assert api.post(splits_path(), {**AB_TEST, "metadata": {"name": "other", "namespace": "default"}}).status == 201
    assert api.patch(splits_path(version="v1alpha2") + "/other", {"metadata": {"labels": {"a": "b"}}}).status == 200
    assert "matches" not in api.get(splits_path() + "/other").body["spec"]


@covers("schema.structural")
def test_a_switch_to_a_version_that_lacks_a_field_hides_it_until_switched_back(sandbox, ab_test):
    """Real: serving only v1alpha2 hides `spec.matches` (no write happened, etcd keeps it);
    serving v1alpha4 again shows it again."""
    api = ab_test
    sandbox.cluster.apply(split_crd("v1alpha2"))
    assert "matches" not in api.get(ab_path("v1alpha2")).body["spec"]
    sandbox.cluster.apply(split_crd("v1alpha4"))
    assert api.get(ab_path("v1alpha4")).body["spec"]["matches"] == AB_TEST["spec"]["matches"]


@covers("schema.structural")
def test_fields_under_preserve_unknown_fields_are_returned_in_every_version(sandbox_factory):
    """Real: a schema with x-kubernetes-preserve-unknown-fields prunes nothing, on write or on read."""
    handle = sandbox_factory(layout="linkerd-smi", schemas=None)
    api = Api(handle.url)
    document = split("open", version="v1alpha2")
    document["spec"]["matches"] = [{"kind": "HTTPRouteGroup", "name": "anything"}]
    assert api.post(splits_path(version="v1alpha2"), document).status == 201
    in_v1 = api.get(splits_path(version="v1alpha1") + "/open").body
    assert in_v1["spec"]["matches"] == document["spec"]["matches"]


# --- (b) watches of a version that stops being served -----------------------------------------


@covers("watch.stream", "resources.crds")
def test_a_watch_of_a_version_that_stops_being_served_ends_at_once(sandbox, ab_test):
    """Real: updating the CRD so v1alpha4 is no longer served tears its storage down and ends
    its open watches (the stream closes); a new watch of it is a 404."""
    api = ab_test
    with api.watch(splits_path(version="v1alpha4")) as stream:
        assert stream.next_event()["type"] == "ADDED"
        sandbox.cluster.apply(split_crd("v1alpha2"))
        assert stream.next_event() is None  # ended, without waiting for a timeout (the socket's is 15 s)
    assert api.get(splits_path(version="v1alpha4"), watch="true").status == 404


@covers("watch.stream")
def test_a_watch_of_a_version_still_served_stays_open_when_another_is_removed(sandbox, ab_test):
    """Real: only the storage of the versions no longer served goes away."""
    api = ab_test
    sandbox.cluster.apply(split_crd("v1alpha4", "v1alpha2"))
    rv = api.get(splits_path(version="v1alpha2")).body["metadata"]["resourceVersion"]
    with api.watch(splits_path(version="v1alpha4"), resourceVersion=rv) as stream:
        sandbox.cluster.apply(split_crd("v1alpha4"))
        api.patch(ab_path("v1alpha4"), {"metadata": {"labels": {"still": "served"}}})
        event = stream.next_event()
    assert (event["type"], event["object"]["metadata"]["labels"]) == ("MODIFIED", {"still": "served"})


# --- (c) watches from a resourceVersion the server no longer holds ----------------------------


@covers("watch.expired")
def test_a_watch_from_before_the_servers_window_gets_410_instead_of_a_replay(sandbox, ab_test):
    """Real: the watch cache starts at the resourceVersion it listed when it was built; a watch
    from an older one gets one ERROR event with a 410 `too old resource version: R (oldest)`."""
    api = ab_test
    with api.watch(splits_path(), resourceVersion="5") as stream:
        events = list(stream.events())
    assert [e["type"] for e in events] == ["ERROR"]
    status = events[0]["object"]
    assert (status["code"], status["reason"]) == (410, "Expired")
    assert status["message"].startswith("too old resource version: 5 (")


@covers("watch.expired", "resources.crds")
def test_a_crd_change_restarts_the_window_so_older_resource_versions_get_410(sandbox, ab_test):
    """Real: a CRD spec change rebuilds the resource's storage and watch cache from a fresh list,
    so resuming from a resourceVersion before the change is answered 410, not replayed."""
    api = ab_test
    before = api.get(splits_path()).body["metadata"]["resourceVersion"]
    sandbox.cluster.apply(split_crd("v1alpha4", "v1alpha2"))
    with api.watch(splits_path(), resourceVersion=before) as stream:
        event = stream.next_event()
    assert (event["type"], event["object"]["code"]) == ("ERROR", 410)
    now = api.get(splits_path()).body["metadata"]["resourceVersion"]
    with api.watch(splits_path(), resourceVersion=now, timeoutSeconds="1") as stream:
        assert list(stream.events()) == []


# --- (d) resourceVersionMatch=Exact ----------------------------------------------------------


def compact(sandbox) -> None:
    """What kube-apiserver's periodic compaction does to etcd: history up to now is gone."""
    cluster = sandbox.cluster
    cluster._call(lambda: cluster.state.store.compact())


@covers("verbs.list")
def test_an_exact_list_shows_the_objects_as_they_were_and_410_once_compacted(sandbox, ab_test):
    """Real: `resourceVersion=R&resourceVersionMatch=Exact` reads etcd at revision R (objects
    created later absent, changed ones as they were); once R is compacted: 410 Expired
    `The resourceVersion for the provided list is too old.`"""
    api = ab_test
    then = api.get(splits_path()).body["metadata"]["resourceVersion"]
    api.patch(splits_path() + "/catalog-ab-test", {"spec": {"service": "changed"}})
    api.post(splits_path(), split("later"))
    exact = api.get(splits_path(), resourceVersion=then, resourceVersionMatch="Exact")
    assert exact.status == 200 and exact.body["metadata"]["resourceVersion"] == then
    assert [(i["metadata"]["name"], i["spec"]["service"]) for i in exact.body["items"]] == [
        ("catalog-ab-test", "catalog")]
    compact(sandbox)
    expired = api.get(splits_path(), resourceVersion=then, resourceVersionMatch="Exact")
    assert (expired.status, expired.reason, expired.message) == (
        410, "Expired", "The resourceVersion for the provided list is too old.")
    current = api.get(splits_path()).body["metadata"]["resourceVersion"]
    assert api.get(splits_path(), resourceVersion=current, resourceVersionMatch="Exact").status == 200
    unmatched = api.get(splits_path(), resourceVersionMatch="Exact")
    assert (unmatched.status, unmatched.reason) == (422, "Invalid")
    assert "resourceVersionMatch is forbidden unless resourceVersion is provided" in unmatched.message


# --- (e) paginated lists are one snapshot ------------------------------------------------------


@covers("verbs.list")
def test_later_pages_of_a_paginated_list_do_not_show_later_writes(sandbox):
    """Real: the continue token carries the first page's resourceVersion and later pages are read
    at that revision: writes made meanwhile do not show, the list resourceVersion does not move,
    and once that revision is compacted the continue token gets 410 Expired."""
    api = Api(sandbox.url)
    for name in ("a", "b", "c", "d", "e"):
        api.post(splits_path(), split(name))
    first = api.get(splits_path(), limit=2).body
    snapshot = first["metadata"]["resourceVersion"]
    assert [i["metadata"]["name"] for i in first["items"]] == ["a", "b"]
    api.post(splits_path(), split("z"))
    api.patch(splits_path() + "/c", {"spec": {"service": "changed"}})
    api.delete(splits_path() + "/d")
    second = api.get(splits_path(), limit=2, **{"continue": first["metadata"]["continue"]}).body
    third = api.get(splits_path(), limit=2, **{"continue": second["metadata"]["continue"]}).body
    pages = second["items"] + third["items"]
    assert [(i["metadata"]["name"], i["spec"]["service"]) for i in pages] == [("c", "web"), ("d", "web"),
                                                                              ("e", "web")]
    assert second["metadata"]["resourceVersion"] == third["metadata"]["resourceVersion"] == snapshot
    assert second["metadata"]["remainingItemCount"] == 1 and "continue" not in third["metadata"]
    fresh = api.get(splits_path(), limit=2).body
    api.post(splits_path(), split("y"))
    compact(sandbox)
    too_old = api.get(splits_path(), limit=2, **{"continue": fresh["metadata"]["continue"]})
    assert (too_old.status, too_old.reason) == (410, "Expired")
    assert too_old.message.startswith("The provided continue parameter is too old")


# --- (f) paths no group/version serves --------------------------------------------------------


@covers("errors.unserved")
def test_an_unserved_group_version_path_is_a_plain_text_404(sandbox):
    """Real: a path under a group/version nobody serves falls through to the NotFound handler:
    `404 page not found` as text/plain, not a JSON Status. An unknown resource of a built-in
    group/version is still a JSON Status from that group's router."""
    api = Api(sandbox.url)
    for path in (splits_path(version="v1alpha2"), "/apis/split.smi-spec.io/v1alpha2",
                 "/apis/no.such.group/v1/things", "/apis/no.such.group"):
        answer = api.get(path)
        assert (answer.status, answer.body) == (404, "404 page not found\n"), path
        assert answer.headers["Content-Type"].startswith("text/plain"), path
    unknown = api.get("/api/v1/namespaces/default/nothings")
    assert (unknown.status, unknown.reason) == (404, "NotFound")
    assert unknown.headers["Content-Type"].startswith("application/json")
