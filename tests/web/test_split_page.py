"""The traffic split page's live wiring, server side: what the browser is told, and the sparkline history."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.utils import timezone

from smi_ui.accounts.roles import Role
from smi_ui.inventory.models import KubeObject
from smi_ui.inventory.normalize import normalize
from smi_ui.web.views import splits
from tests.edit_support import make_user

pytestmark = pytest.mark.django_db


def page_url(world: Any, name: str = "bookstore-canary", namespace: str = "bookstore") -> str:
    return f"/clusters/{world.cluster.name}/objects/{namespace}/trafficsplits/{name}/weights/"


def split_state(body: str) -> dict:
    found = re.search(r'<script id="split-state" type="application/json">(.*?)</script>', body, re.S)
    assert found, "the page carries no split state"
    return json.loads(found.group(1))


def logged_in(client: Any, username: str, role: str | None = None, **grant: Any) -> Any:
    client.force_login(make_user(username, role, **grant))
    return client


def store(world: Any, document: dict) -> None:
    metadata = document["metadata"]
    KubeObject.objects.create(
        cluster=world.cluster, api_version=document["apiVersion"], kind=document["kind"],
        namespace=metadata["namespace"], name=metadata["name"], uid=metadata["name"], resource_version="1",
        labels={}, raw=document, normalized=normalize(document).normalized, observed_at=timezone.now())


def store_service(world: Any, name: str, selector: dict[str, str]) -> None:
    store(world, {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": "bookstore"},
                  "spec": {"selector": selector}})


def test_an_operator_page_tells_the_browser_where_live_figures_and_changes_come_from(world, client):
    body = logged_in(client, "olivia", Role.OPERATOR).get(page_url(world)).content.decode()
    state = split_state(body)
    assert state["live"] == f"/ws/live/clusters/{world.cluster.pk}/namespaces/bookstore/"
    assert state["object_api"] == f"/api/objects/{world.cluster.name}/bookstore/trafficsplits/bookstore-canary/"
    assert state["history"] == page_url(world) + "history.json"
    assert state["workloads"] == {"bookstore-v1": ["bookstore-v1"], "bookstore-v2": ["bookstore-v2"]}
    assert state["editable"] is True and state["metrics_provider"] == "smi-metrics-api"
    assert 'data-action="step-start"' in body and "data-live-status" in body


def test_a_viewer_gets_live_figures_but_no_edit_or_stepped_controls(world, client):
    body = logged_in(client, "vic", Role.VIEWER).get(page_url(world)).content.decode()
    state = split_state(body)
    assert state["editable"] is False and state["live"].endswith("/namespaces/bookstore/")
    assert "data-action" not in body and "data-live-rps" in body and "data-observed-share" in body


def test_a_backend_service_with_another_name_maps_to_the_deployments_its_selector_picks(world):
    store_service(world, "bookstore-green", {"app": "bookstore"})
    store_service(world, "orphan", {"app": "nothing-runs-this"})
    workloads = splits.backend_workloads(world.cluster, "bookstore", ["bookstore-green", "bookstore-v2", "orphan"])
    assert workloads == {"bookstore-green": ["bookstore-v1", "bookstore-v2"], "bookstore-v2": ["bookstore-v2"],
                         "orphan": []}


def test_without_a_metrics_provider_the_page_says_so_instead_of_waiting(world, client, settings):
    settings.METRICS_PROVIDERS = {"*": {"provider": "none"}}
    body = logged_in(client, "vic", Role.VIEWER).get(page_url(world)).content.decode()
    assert f"No metrics provider is configured for cluster {world.cluster.name}" in body
    assert split_state(body)["metrics_provider"] is None


def test_history_adds_up_each_backends_workloads_and_weights_success_by_rate(world, client, monkeypatch):
    seen = []

    def history(cluster_id, namespace, since=0.0):
        seen.append((cluster_id, namespace))
        return [{"observedAt": 100.0, "resources": {"bookstore-v1": [12.0, 1.0], "bookstore-v2": [4.0, 0.5],
                                                     "mysql": [8.0, 1.0]}, "edges": {}},
                {"observedAt": 105.0, "resources": {"bookstore-v1": [10.0, None]}, "edges": {}}]

    monkeypatch.setattr(splits, "namespace_history", history)
    store_service(world, "bookstore-all", {"app": "bookstore"})
    store(world, {"apiVersion": "split.smi-spec.io/v1alpha4", "kind": "TrafficSplit",
                  "metadata": {"name": "everything", "namespace": "bookstore"},
                  "spec": {"service": "bookstore", "backends": [{"service": "bookstore-v2", "weight": 1},
                                                                {"service": "bookstore-all", "weight": 1}]}})
    response = logged_in(client, "vic", Role.VIEWER).get(page_url(world, "everything") + "history.json")
    assert response.status_code == 200
    assert seen == [(world.cluster.pk, "bookstore")]
    assert response.json() == {"points": [
        {"at": 100.0, "backends": {"bookstore-v2": [4.0, 0.5], "bookstore-all": [16.0, 0.875]}},
        {"at": 105.0, "backends": {"bookstore-all": [10.0, None]}},
    ]}


def test_history_is_refused_to_anonymous_users_and_hidden_from_users_without_a_grant(world, client, monkeypatch):
    monkeypatch.setattr(splits, "namespace_history", lambda *args, **kwargs: pytest.fail("history was read"))
    url = page_url(world) + "history.json"
    response = client.get(url)
    assert response.status_code == 302 and response.url.startswith("/login/")
    limited = logged_in(client, "sam", Role.VIEWER, cluster=world.cluster, namespace="storefront")
    assert limited.get(url).status_code == 404
    assert limited.get(page_url(world)).status_code == 404


def test_an_ab_split_names_the_requests_it_splits_and_offers_no_canary_wording(world, client):
    body = logged_in(client, "olivia", Role.OPERATOR).get(
        page_url(world, "catalog-ab-test", "storefront")).content.decode()
    matches = body.split('data-testid="split-matches"')[1].split("</section>")[0]
    assert "HTTPRouteGroup" in matches and "firefox-users" in matches
    assert "* .* if user-agent~.*Firefox.*" in matches  # the policy page's own wording of the route
    assert "every other request to catalog is not split" in matches
    assert "Promote canary" not in body and "Roll back to stable" not in body
    assert "All matching to catalog-beta" in body and "All matching to catalog<" in body


def test_a_split_whose_route_group_is_missing_says_it_matches_nothing(world, client):
    KubeObject.objects.filter(cluster=world.cluster, kind="HTTPRouteGroup", name="firefox-users").delete()
    body = logged_in(client, "vic", Role.VIEWER).get(page_url(world, "catalog-ab-test", "storefront")).content.decode()
    assert "no such route group in storefront: this split matches no request" in body


def test_a_canary_split_without_matches_keeps_its_canary_actions(world, client):
    body = logged_in(client, "olivia", Role.OPERATOR).get(page_url(world)).content.decode()
    assert 'data-testid="split-matches"' not in body and "Promote canary (100 %)" in body
