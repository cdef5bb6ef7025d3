"""The official Python client, sync and `kubernetes.aio`, against a sandbox.

These are the calls our sync worker and writer make: list + watch with bookmarks,
recovering from 410 by re-listing, create, patch, and reading 409/422 Status bodies.
"""

from __future__ import annotations

import json

import pytest
from kubernetes import client as sync_client
from kubernetes import config as sync_config
from kubernetes import watch as sync_watch
from kubernetes.aio import client as aio_client
from kubernetes.aio import config as aio_config
from kubernetes.aio import watch as aio_watch

from .support import split

GROUP, VERSION, PLURAL = "split.smi-spec.io", "v1alpha4", "trafficsplits"


@pytest.fixture
def handle(sandbox_factory):
    return sandbox_factory(bookmark_interval=0.2, watch_window=5)


@pytest.fixture
def api(handle):
    api_client = sync_config.new_client_from_config(config_file=str(handle.kubeconfig))
    yield sync_client.CustomObjectsApi(api_client)
    api_client.close()


@pytest.mark.covers("client.python-sync", "watch.bookmarks")
def test_sync_list_then_watch_with_bookmarks(api, handle):
    api.create_namespaced_custom_object(GROUP, VERSION, "default", PLURAL, split("a"))
    listed = api.list_namespaced_custom_object(GROUP, VERSION, "default", PLURAL)
    assert [i["metadata"]["name"] for i in listed["items"]] == ["a"]
    watcher = sync_watch.Watch()
    seen = []
    for event in watcher.stream(api.list_namespaced_custom_object, GROUP, VERSION, "default", PLURAL,
                                resource_version=listed["metadata"]["resourceVersion"],
                                allow_watch_bookmarks=True, timeout_seconds=10):
        seen.append(event["type"])
        if event["type"] == "BOOKMARK":
            break
        api.create_namespaced_custom_object(GROUP, VERSION, "default", PLURAL, split("b"))
    watcher.stop()
    assert "BOOKMARK" in seen
    assert watcher.resource_version == str(handle.cluster.resource_version)


@pytest.mark.covers("client.python-sync", "watch.expired")
def test_sync_watch_recovers_from_410_by_relisting(api, handle):
    old = api.create_namespaced_custom_object(GROUP, VERSION, "default", PLURAL, split("a"))
    for weight in range(8):
        body = {"spec": {"backends": [{"service": "web-v1", "weight": weight}]}}
        api.patch_namespaced_custom_object(GROUP, VERSION, "default", PLURAL, "a", body)
    watcher = sync_watch.Watch()
    with pytest.raises(sync_client.ApiException) as expired:
        for _ in watcher.stream(api.list_namespaced_custom_object, GROUP, VERSION, "default", PLURAL,
                                resource_version=old["metadata"]["resourceVersion"], timeout_seconds=5):
            pass
    assert expired.value.status == 410
    relisted = api.list_namespaced_custom_object(GROUP, VERSION, "default", PLURAL)
    api.delete_namespaced_custom_object(GROUP, VERSION, "default", PLURAL, "a")
    watcher = sync_watch.Watch()
    for event in watcher.stream(api.list_namespaced_custom_object, GROUP, VERSION, "default", PLURAL,
                                resource_version=relisted["metadata"]["resourceVersion"], timeout_seconds=5):
        assert (event["type"], event["object"]["metadata"]["name"]) == ("DELETED", "a")
        break
    watcher.stop()


@pytest.mark.covers("client.python-sync")
def test_sync_create_patch_conflict_and_invalid(api, handle):
    created = api.create_namespaced_custom_object(GROUP, VERSION, "default", PLURAL, split("web"))
    patched = api.patch_namespaced_custom_object(
        GROUP, VERSION, "default", PLURAL, "web", {"spec": {"backends": [{"service": "web-v1", "weight": 5}]}})
    assert patched["metadata"]["generation"] == 2
    stale = dict(created)
    with pytest.raises(sync_client.ApiException) as conflict:
        api.replace_namespaced_custom_object(GROUP, VERSION, "default", PLURAL, "web", stale)
    assert conflict.value.status == 409 and json.loads(conflict.value.body)["reason"] == "Conflict"
    broken = split("broken")
    broken["spec"]["backends"][0]["weight"] = "heavy"
    with pytest.raises(sync_client.ApiException) as invalid:
        api.create_namespaced_custom_object(GROUP, VERSION, "default", PLURAL, broken)
    status = json.loads(invalid.value.body)
    assert invalid.value.status == 422
    assert status["details"]["causes"] == [{
        "reason": "FieldValueTypeInvalid", "field": "spec.backends[0].weight",
        "message": 'Invalid value: "string": spec.backends[0].weight in body must be of type number: "string"'}]


@pytest.mark.covers("client.python-sync", "resources.builtin")
def test_sync_typed_clients_read_builtin_kinds(handle):
    api_client = sync_config.new_client_from_config(config_file=str(handle.kubeconfig))
    try:
        core = sync_client.CoreV1Api(api_client)
        core.create_namespace(sync_client.V1Namespace(metadata=sync_client.V1ObjectMeta(name="shop")))
        service = sync_client.V1Service(metadata=sync_client.V1ObjectMeta(name="web"), spec=sync_client.V1ServiceSpec(
            ports=[sync_client.V1ServicePort(port=80)], selector={"app": "web"}))
        core.create_namespaced_service("shop", service)
        services = core.list_service_for_all_namespaces()
        assert {s.metadata.name for s in services.items} == {"kubernetes", "web"}
        assert core.read_namespaced_service("web", "shop").spec.cluster_ip.startswith("10.96.")
        accounts = core.list_namespaced_service_account("shop").items
        assert [a.metadata.name for a in accounts] == ["default"]
    finally:
        api_client.close()


async def _aio_api(handle):
    api_client = await aio_config.new_client_from_config(config_file=str(handle.kubeconfig))
    return api_client, aio_client.CustomObjectsApi(api_client)


@pytest.mark.covers("client.python-async", "watch.bookmarks")
async def test_async_list_watch_with_bookmarks(handle):
    api_client, api = await _aio_api(handle)
    try:
        await api.create_namespaced_custom_object(GROUP, VERSION, "default", PLURAL, split("a"))
        listed = await api.list_namespaced_custom_object(GROUP, VERSION, "default", PLURAL)
        watcher = aio_watch.Watch()
        kinds = []
        async for event in watcher.stream(api.list_namespaced_custom_object, GROUP, VERSION, "default", PLURAL,
                                          resource_version=listed["metadata"]["resourceVersion"],
                                          allow_watch_bookmarks=True, timeout_seconds=10):
            kinds.append(event["type"])
            if event["type"] == "BOOKMARK":
                break
            await api.create_namespaced_custom_object(GROUP, VERSION, "default", PLURAL, split("b"))
        watcher.stop()
        assert "BOOKMARK" in kinds
    finally:
        await api_client.close()


@pytest.mark.covers("client.python-async", "watch.expired")
async def test_async_watch_gets_410_and_recovers_by_relisting(handle):
    api_client, api = await _aio_api(handle)
    try:
        old = await api.create_namespaced_custom_object(GROUP, VERSION, "default", PLURAL, split("a"))
        for weight in range(8):
            await api.patch_namespaced_custom_object(
                GROUP, VERSION, "default", PLURAL, "a", {"spec": {"backends": [{"service": "x", "weight": weight}]}})
        watcher = aio_watch.Watch()
        with pytest.raises(aio_client.ApiException) as expired:
            async for _ in watcher.stream(api.list_namespaced_custom_object, GROUP, VERSION, "default", PLURAL,
                                          resource_version=old["metadata"]["resourceVersion"], timeout_seconds=5):
                pass
        assert expired.value.status == 410
        relisted = await api.list_namespaced_custom_object(GROUP, VERSION, "default", PLURAL)
        watcher = aio_watch.Watch()
        await api.delete_namespaced_custom_object(GROUP, VERSION, "default", PLURAL, "a")
        async for event in watcher.stream(api.list_namespaced_custom_object, GROUP, VERSION, "default", PLURAL,
                                          resource_version=relisted["metadata"]["resourceVersion"],
                                          timeout_seconds=5):
            assert (event["type"], event["object"]["metadata"]["name"]) == ("DELETED", "a")
            break
        watcher.stop()
    finally:
        await api_client.close()


@pytest.mark.covers("client.python-async")
async def test_async_create_patch_conflict_and_invalid(handle):
    api_client, api = await _aio_api(handle)
    try:
        created = await api.create_namespaced_custom_object(GROUP, VERSION, "default", PLURAL, split("web"))
        await api.patch_namespaced_custom_object(GROUP, VERSION, "default", PLURAL, "web",
                                                 {"metadata": {"labels": {"team": "a"}}})
        with pytest.raises(aio_client.ApiException) as conflict:
            await api.replace_namespaced_custom_object(GROUP, VERSION, "default", PLURAL, "web", created)
        assert conflict.value.status == 409
        with pytest.raises(aio_client.ApiException) as invalid:
            await api.create_namespaced_custom_object(GROUP, VERSION, "default", PLURAL,
                                                      {**split("x"), "spec": {"backends": []}})
        assert invalid.value.status == 422
        assert json.loads(invalid.value.body)["message"] == (
            'TrafficSplit.split.smi-spec.io "x" is invalid: spec.service: Required value')
    finally:
        await api_client.close()
