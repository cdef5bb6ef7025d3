"""Sync against the sandbox cluster: everything arrives, stays true, and recovers by itself."""

from __future__ import annotations

import time
from collections import Counter

import pytest

from smi_ui.clusters.models import Cluster, KindStatus
from smi_ui.clusters.services import register_from_kubeconfig
from smi_ui.clusters.sync import ClusterSync
from smi_ui.inventory.models import KubeObject, Revision
from smi_ui.kube.watch import WatchSettings
from smi_ui.sandbox.demo import demo_objects
from tests.conditions import wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

FAST = WatchSettings(watch_timeout_seconds=30, backoff_initial=0.1, backoff_max=1.0)




@pytest.fixture
def synced(sandbox_factory):
    """A demo-world sandbox, registered from its kubeconfig and synced until the test ends."""
    syncs: list[ClusterSync] = []

    def start(objects=None, layout="smi-sdk-go", **options):
        handle = sandbox_factory(layout=layout, objects=demo_objects(layout) if objects is None else objects, **options)
        (cluster,) = register_from_kubeconfig(handle.kubeconfig)
        sync = ClusterSync(cluster, watch_settings=FAST, rediscover_seconds=0.5)
        sync.start()
        syncs.append(sync)
        return handle, cluster, sync

    yield start
    for sync in syncs:
        sync.stop()


def stored(cluster: Cluster, kind: str, namespace: str, name: str) -> KubeObject | None:
    return KubeObject.objects.filter(cluster=cluster, kind=kind, namespace=namespace, name=name).first()


def expected_counts() -> Counter:
    return Counter(obj["kind"] for obj in demo_objects())


def test_every_kind_of_the_demo_world_is_synced(synced):
    _, cluster, _ = synced()
    wanted = expected_counts()

    def complete():
        have = Counter(KubeObject.objects.filter(cluster=cluster).values_list("kind", flat=True))
        return all(have[kind] >= count for kind, count in wanted.items())

    wait_for(complete, what="all demo objects in the inventory")
    cluster.refresh_from_db()
    assert cluster.served_kinds["TrafficSplit"]["preferred"] == "v1alpha4"
    assert set(cluster.served_kinds) == {"TrafficSplit", "TrafficTarget", "HTTPRouteGroup", "TCPRoute", "UDPRoute"}
    wait_for(lambda: Cluster.objects.get(pk=cluster.pk).state == "connected", what="cluster connected")
    split = stored(cluster, "TrafficSplit", "bookstore", "bookstore-canary")
    assert split.api_version == "split.smi-spec.io/v1alpha4"
    assert split.normalized["shares"]["bookstore-v2"]["percent"] == 20.0
    deployment = stored(cluster, "Deployment", "bookstore", "bookstore-v2")
    assert deployment.normalized["service_account"] == "bookstore"
    # only the fields that link workloads to identities are kept
    assert deployment.raw["spec"]["template"]["spec"] == {"serviceAccountName": "bookstore"}
    assert "containers" not in str(deployment.raw)


def test_create_modify_delete_are_reflected(synced):
    handle, cluster, _ = synced()
    wait_for(lambda: stored(cluster, "TrafficSplit", "bookstore", "bookstore-canary"), what="initial sync")
    handle.kubectl("patch", "trafficsplit", "bookstore-canary", "-n", "bookstore", "--type=merge",
                   "-p", '{"spec":{"backends":[{"service":"bookstore-v1","weight":50},'
                         '{"service":"bookstore-v2","weight":50}]}}', check=True)
    wait_for(lambda: stored(cluster, "TrafficSplit", "bookstore", "bookstore-canary")
             .normalized["shares"]["bookstore-v2"]["percent"] == 50.0, what="modified weights")
    # every kind is listed on its own: the route must have been seen before its deletion can be
    wait_for(lambda: stored(cluster, "TCPRoute", "bookstore", "mysql-tcp"), what="TCPRoutes listed")
    handle.kubectl("delete", "tcproute", "mysql-tcp", "-n", "bookstore", check=True)
    wait_for(lambda: stored(cluster, "TCPRoute", "bookstore", "mysql-tcp") is None, what="deletion")
    handle.kubectl("create", "serviceaccount", "auditor", "-n", "storefront", check=True)
    wait_for(lambda: stored(cluster, "ServiceAccount", "storefront", "auditor"), what="creation")
    changes = set(Revision.objects.filter(cluster=cluster).values_list("change", flat=True))
    assert changes == {"created", "modified", "deleted"}


def test_kubectl_change_is_attributed_to_its_field_manager(synced):
    handle, cluster, _ = synced()
    wait_for(lambda: stored(cluster, "TrafficSplit", "bookstore", "bookstore-canary"), what="initial sync")
    handle.kubectl("patch", "trafficsplit", "bookstore-canary", "-n", "bookstore", "--type=merge",
                   "-p", '{"spec":{"backends":[{"service":"bookstore-v1","weight":70},'
                         '{"service":"bookstore-v2","weight":30}]}}', check=True)
    revision = wait_for(lambda: Revision.objects.filter(cluster=cluster, name="bookstore-canary",
                                                       change="modified").first(), what="revision")
    assert revision.field_manager == "kubectl-patch"
    assert revision.before["spec"]["backends"][1]["weight"] == 20
    assert revision.after["spec"]["backends"][1]["weight"] == 30


def test_expired_resource_version_relists_and_reconciles_deletions(synced):
    handle, cluster, sync = synced(watch_window=5)
    wait_for(lambda: stored(cluster, "HTTPRouteGroup", "storefront", "payments-routes"), what="initial sync")
    with handle.cluster.refusing_connections():
        handle.cluster.drop_watches()
        handle.cluster.delete({"apiVersion": "specs.smi-spec.io/v1alpha4", "kind": "HTTPRouteGroup",
                               "metadata": {"name": "payments-routes", "namespace": "storefront"}})
        for number in range(10):  # push the deletion out of the server's 5-event window
            handle.cluster.apply({"apiVersion": "specs.smi-spec.io/v1alpha4", "kind": "HTTPRouteGroup",
                                  "metadata": {"name": f"churn-{number}", "namespace": "storefront"},
                                  "spec": {"matches": [{"name": "all", "pathRegex": ".*"}]}})
    wait_for(lambda: stored(cluster, "HTTPRouteGroup", "storefront", "payments-routes") is None, timeout=30,
             what="deleted route group reconciled after re-list")
    wait_for(lambda: stored(cluster, "HTTPRouteGroup", "storefront", "churn-9"), what="churn synced")
    reflector = sync._reflectors["HTTPRouteGroup"][0]
    assert reflector.relists >= 1  # the answer was 410 Gone, not a replay


def test_outage_of_thirty_seconds_marks_stale_then_recovers_and_converges(synced):
    handle, cluster, _ = synced()
    wait_for(lambda: Cluster.objects.get(pk=cluster.pk).state == "connected", what="connected")
    with handle.cluster.refusing_connections():
        handle.cluster.drop_watches()
        wait_for(lambda: Cluster.objects.get(pk=cluster.pk).state == "stale", what="stale during outage")
        handle.cluster.apply({
            "apiVersion": "split.smi-spec.io/v1alpha4", "kind": "TrafficSplit",
            "metadata": {"name": "made-during-outage", "namespace": "bookstore"},
            "spec": {"service": "bookstore", "backends": [{"service": "bookstore-v1", "weight": 1}]},
        })
        outage_started = time.monotonic()
        stale = Cluster.objects.get(pk=cluster.pk)
        assert stale.stale_since is not None and stale.last_error
        assert stored(cluster, "TrafficSplit", "bookstore", "bookstore-canary")  # last known data kept
        while time.monotonic() - outage_started < 30:
            time.sleep(0.5)
    wait_for(lambda: stored(cluster, "TrafficSplit", "bookstore", "made-during-outage"), timeout=30,
             what="change made during the outage synced")
    wait_for(lambda: Cluster.objects.get(pk=cluster.pk).state == "connected", timeout=30, what="reconnected")
    assert not KindStatus.objects.filter(cluster=cluster, state="stale").exists()


def test_cluster_without_smi_crds_still_syncs_services(synced):
    services_only = [obj for obj in demo_objects() if obj["kind"] in {"Namespace", "Service"}]
    _, cluster, _ = synced(objects=services_only, layout="linkerd-smi")
    wait_for(lambda: stored(cluster, "Service", "bookstore", "bookstore"), what="services synced")
    wait_for(lambda: Cluster.objects.get(pk=cluster.pk).discovered_at, what="discovery done")
    cluster.refresh_from_db()
    assert set(cluster.served_kinds) == {"TrafficSplit"}


def test_every_stored_change_is_published_to_cluster_and_namespace_groups(synced):
    import asyncio
    import threading

    from asgiref.sync import async_to_sync
    from channels.layers import get_channel_layer

    from smi_ui.live.broadcast import set_serving_loop
    from smi_ui.live.groups import cluster_group, namespace_group

    handle, cluster, _ = synced()
    wait_for(lambda: stored(cluster, "TrafficSplit", "bookstore", "bookstore-canary"), what="initial sync")
    layer = get_channel_layer()
    ready, received = threading.Event(), {}

    async def listen() -> None:
        """Subscribe like a websocket consumer would, on a loop of its own."""
        set_serving_loop(asyncio.get_running_loop())
        by_namespace, by_cluster = await layer.new_channel(), await layer.new_channel()
        await layer.group_add(namespace_group(cluster.pk, "bookstore"), by_namespace)
        await layer.group_add(cluster_group(cluster.pk), by_cluster)
        ready.set()
        for label, channel in (("namespace", by_namespace), ("cluster", by_cluster)):
            while label not in received:
                message = await asyncio.wait_for(layer.receive(channel), timeout=15)
                if message.get("name") == "bookstore-canary" and message.get("change") == "modified":
                    received[label] = message

    listener = threading.Thread(target=async_to_sync(listen), daemon=True)
    listener.start()
    assert ready.wait(10)
    handle.kubectl("patch", "trafficsplit", "bookstore-canary", "-n", "bookstore", "--type=merge",
                   "-p", '{"metadata":{"labels":{"stage":"3"}}}', check=True)
    listener.join(20)
    message = received["namespace"]
    assert message == {
        "type": "object.changed", "cluster": cluster.pk, "kind": "TrafficSplit", "namespace": "bookstore",
        "name": "bookstore-canary", "resourceVersion": message["resourceVersion"], "change": "modified",
    }
    current = stored(cluster, "TrafficSplit", "bookstore", "bookstore-canary")
    assert message["resourceVersion"] == current.resource_version
    assert received["cluster"] == message


def test_crd_upgrade_switches_the_synced_version_without_a_restart(synced):
    from smi_ui.sandbox.crds import crd_objects
    from smi_ui.sandbox.server import project_schemas
    from smi_ui.smi.layouts import layout

    handle, cluster, _ = synced(layout="osm")
    split = wait_for(lambda: stored(cluster, "TrafficSplit", "bookstore", "bookstore-canary"), what="sync")
    assert split.api_version == "split.smi-spec.io/v1alpha2"
    upgraded = next(crd for crd in crd_objects(layout("smi-sdk-go"), project_schemas())
                    if crd["metadata"]["name"] == "trafficsplits.split.smi-spec.io")
    handle.cluster.apply(upgraded)  # what `kubectl apply -f` of the newer CRD does

    def served_in_v1alpha4():
        current = stored(cluster, "TrafficSplit", "bookstore", "bookstore-canary")
        return current and current.api_version == "split.smi-spec.io/v1alpha4"

    wait_for(served_in_v1alpha4, timeout=30, what="TrafficSplit re-synced in v1alpha4")
    cluster.refresh_from_db()
    assert cluster.served_kinds["TrafficSplit"] == {"versions": ["v1alpha4"], "preferred": "v1alpha4"}
    assert KindStatus.objects.get(cluster=cluster, kind="TrafficSplit").api_version == "split.smi-spec.io/v1alpha4"
