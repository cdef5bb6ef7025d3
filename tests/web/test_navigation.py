"""Navigation: every page is reachable from the menu, the clusters pages, the API's front door, the icon."""

from __future__ import annotations

import re

import pytest

from smi_ui.accounts.roles import Role
from smi_ui.clusters.models import KindStatus, SyncState
from tests.edit_support import make_user

pytestmark = pytest.mark.django_db


def nav_links(body: str) -> list[str]:
    nav = re.search(r'<nav aria-label="Main">(.*?)</nav>', body, re.S).group(1)
    return re.findall(r'href="([^"]+)"', nav)


def test_the_menu_leads_to_clusters_and_inside_a_cluster_to_its_pages(world, logged_in):
    client = logged_in("vic", Role.VIEWER, cluster=world.cluster)
    top = nav_links(client.get("/").content.decode())
    assert "/clusters/" in top and "/api/docs/" in top
    assert "/admin/" not in top and "/audit/" not in top  # offered only to those who may open them
    inside = nav_links(client.get(f"/clusters/{world.cluster.name}/policy/").content.decode())
    for suffix in ("", "topology/", "policy/", "objects/"):
        assert f"/clusters/{world.cluster.name}/{suffix}" in inside


def test_staff_admins_get_the_admin_and_audit_links(world, client):
    client.force_login(make_user("ada", Role.ADMIN, is_staff=True))
    links = nav_links(client.get("/").content.decode())
    assert "/audit/" in links and "/admin/" in links
    assert "smi-ui administration" in client.get("/admin/").content.decode()


def test_clusters_page_lists_visible_clusters_with_their_state(world, logged_in):
    body = logged_in("vic", Role.VIEWER, cluster=world.cluster).get("/clusters/").content.decode()
    assert f'href="/clusters/{world.cluster.name}/"' in body
    assert world.cluster.get_state_display() in body
    assert world.cluster.api_server in body  # a cluster-wide reader
    assert "No clusters you may see" in logged_in("nobody").get("/clusters/").content.decode()


def test_cluster_page_shows_served_versions_counts_and_per_kind_sync(world, logged_in):
    KindStatus.objects.create(cluster=world.cluster, kind="TrafficSplit", api_version="split.smi-spec.io/v1alpha4",
                              state=SyncState.CONNECTED, listed=7)
    body = logged_in("vic", Role.VIEWER, cluster=world.cluster).get(f"/clusters/{world.cluster.name}/").content.decode()
    for kind, served in world.cluster.served_kinds.items():
        assert kind in body and served["preferred"] in body
    statuses = body.split('data-testid="kind-statuses"')[1]
    assert "split.smi-spec.io/v1alpha4" in statuses and ">7<" in statuses


def test_a_namespace_limited_reader_sees_no_cluster_wide_details(world, logged_in):
    client = logged_in("nina", Role.VIEWER, cluster=world.cluster, namespace="storefront")
    for url in ("/clusters/", f"/clusters/{world.cluster.name}/"):
        body = client.get(url).content.decode()
        assert world.cluster.api_server not in body and 'data-testid="kind-statuses"' not in body


def test_cluster_page_is_not_found_without_a_grant(world, logged_in):
    assert logged_in("nobody").get(f"/clusters/{world.cluster.name}/").status_code == 404


def test_api_root_links_every_collection(world, logged_in):
    client = logged_in("vic", Role.VIEWER)
    response = client.get("/api/")
    assert response.status_code == 200
    links = response.json()
    assert links["objects"].endswith("/api/objects/") and links["docs"].endswith("/api/docs/")
    for name in ("clusters", "objects", "me"):
        assert client.get(links[name]).status_code == 200


def test_api_root_asks_anonymous_clients_to_authenticate(client):
    response = client.get("/api/")
    assert response.status_code == 401 and "errors" in response.json()


def test_favicon_is_served(client):
    response = client.get("/favicon.ico", follow=True)
    assert response.status_code == 200 and b"<svg" in b"".join(response.streaming_content)
