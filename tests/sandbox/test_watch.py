"""Watch streams behave like kube-apiserver's watch cache: initial state, resume, bookmarks, 410."""

from __future__ import annotations

import pytest

from .support import Api, split, splits_path

covers = pytest.mark.covers


@pytest.fixture
def api(sandbox) -> Api:
    return Api(sandbox.url)


@covers("watch.stream", "watch.initial-state")
def test_a_watch_without_resource_version_starts_with_the_current_state_then_streams_changes(api):
    api.post(splits_path(), split("existing"))
    with api.watch(splits_path()) as stream:
        assert stream.status == 200
        first = stream.next_event()
        assert (first["type"], first["object"]["metadata"]["name"]) == ("ADDED", "existing")
        assert first["object"]["apiVersion"] == "split.smi-spec.io/v1alpha4"
        created = api.post(splits_path(), split("new")).body
        api.patch(splits_path() + "/new", {"spec": {"service": "other"}})
        deleted = api.delete(splits_path() + "/new")
        events = stream.take(3)
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in events] == [
        ("ADDED", "new"), ("MODIFIED", "new"), ("DELETED", "new")]
    versions = [int(e["object"]["metadata"]["resourceVersion"]) for e in events]
    assert versions == sorted(versions) and versions[0] == int(created["metadata"]["resourceVersion"])
    assert deleted.status == 200


@covers("watch.initial-state")
def test_resource_version_zero_also_replays_the_current_state(api):
    api.post(splits_path(), split("a"))
    with api.watch(splits_path(), resourceVersion="0") as stream:
        assert stream.next_event()["object"]["metadata"]["name"] == "a"


@covers("watch.resume")
def test_a_watch_from_a_resource_version_replays_only_later_events(api):
    first = api.post(splits_path(), split("a")).body
    api.post(splits_path(), split("b"))
    api.patch(splits_path() + "/a", {"spec": {"service": "x"}})
    with api.watch(splits_path(), resourceVersion=first["metadata"]["resourceVersion"]) as stream:
        events = stream.take(2)
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in events] == [("ADDED", "b"), ("MODIFIED", "a")]


@covers("watch.bookmarks")
def test_bookmarks_carry_the_current_resource_version(sandbox_factory):
    handle = sandbox_factory(bookmark_interval=0.2)
    api = Api(handle.url)
    listed = api.get(splits_path()).body
    with api.watch(splits_path(), resourceVersion=listed["metadata"]["resourceVersion"],
                   allowWatchBookmarks="true") as stream:
        api.post(splits_path(), split("a"))
        assert stream.next_event()["type"] == "ADDED"
        bookmark = stream.next_event()
    assert bookmark["type"] == "BOOKMARK"
    assert bookmark["object"] == {"kind": "TrafficSplit", "apiVersion": "split.smi-spec.io/v1alpha4",
                                  "metadata": {"resourceVersion": str(handle.cluster.resource_version),
                                               "creationTimestamp": None}}


@covers("watch.bookmarks")
def test_send_initial_events_ends_with_an_annotated_bookmark(api):
    api.post(splits_path(), split("a"))
    with api.watch(splits_path(), sendInitialEvents="true", resourceVersionMatch="NotOlderThan",
                   allowWatchBookmarks="true") as stream:
        added, bookmark = stream.take(2)
    assert added["type"] == "ADDED"
    assert bookmark["object"]["metadata"]["annotations"] == {"k8s.io/initial-events-end": "true"}


@covers("watch.timeout")
def test_timeout_seconds_ends_the_stream(api):
    with api.watch(splits_path(), timeoutSeconds="1") as stream:
        assert list(stream.events()) == []


@covers("watch.expired")
def test_a_resource_version_older_than_the_window_gets_a_410_error_event(sandbox_factory):
    handle = sandbox_factory(watch_window=3)
    api = Api(handle.url)
    old = api.post(splits_path(), split("a")).body["metadata"]["resourceVersion"]
    for weight in range(5):
        api.patch(splits_path() + "/a", {"spec": {"backends": [{"service": "x", "weight": weight}]}})
    with api.watch(splits_path(), resourceVersion=old) as stream:
        events = list(stream.events())
    assert len(events) == 1 and events[0]["type"] == "ERROR"
    status = events[0]["object"]
    assert (status["code"], status["reason"]) == (410, "Expired")
    assert status["message"].startswith(f"too old resource version: {old} (")
    recent = api.get(splits_path()).body["metadata"]["resourceVersion"]
    with api.watch(splits_path(), resourceVersion=recent, timeoutSeconds="1") as stream:
        assert list(stream.events()) == []


@covers("watch.expired")
def test_the_window_can_be_shrunk_at_run_time(sandbox):
    api = Api(sandbox.url)
    old = api.post(splits_path(), split("a")).body["metadata"]["resourceVersion"]
    api.patch(splits_path() + "/a", {"spec": {"service": "b"}})
    sandbox.cluster.set_watch_window(0)
    with api.watch(splits_path(), resourceVersion=old) as stream:
        assert stream.next_event()["object"]["code"] == 410


@covers("watch.selectors")
def test_selector_filtered_watches_see_objects_enter_and_leave(api):
    with api.watch(splits_path(None), labelSelector="tier=web", fieldSelector="metadata.namespace=default") as stream:
        api.post(splits_path(), split("a", labels={"tier": "db"}))
        api.post(splits_path(), split("b", labels={"tier": "web"}))
        api.patch(splits_path() + "/a", {"metadata": {"labels": {"tier": "web"}}})
        api.patch(splits_path() + "/b", {"metadata": {"labels": {"tier": "db"}}})
        events = stream.take(3)
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in events] == [
        ("ADDED", "b"), ("ADDED", "a"), ("DELETED", "b")]


@covers("watch.selectors")
def test_the_legacy_watch_path_streams_too(api):
    with api.watch("/apis/split.smi-spec.io/v1alpha4/watch/namespaces/default/trafficsplits") as stream:
        api.post(splits_path(), split("a"))
        assert stream.next_event()["type"] == "ADDED"
