"""Reading through the API: clusters without secrets, filtered and ordered lists, object detail."""

from __future__ import annotations

import json

import pytest

from smi_ui.accounts.roles import Role
from tests.edit_support import make_user, split_url, token_client

pytestmark = pytest.mark.django_db


def test_clusters_never_expose_credentials(world):
    client = token_client(make_user("vera", Role.VIEWER))
    token = world.handle.cluster.kubeconfig()["users"][0]["user"]["token"]
    listing = client.get("/api/clusters/")
    detail = client.get(f"/api/clusters/{world.cluster.name}/")
    assert listing.status_code == detail.status_code == 200
    for text in (listing.content.decode(), detail.content.decode()):
        assert token not in text
        assert "credentials" not in text and "clusters:" not in text
    assert detail.json()["served_kinds"]["TrafficSplit"]["preferred"] == "v1alpha4"


def test_objects_filter_by_kind_namespace_name_and_label_with_ordering_and_pages(world):
    client = token_client(make_user("vera", Role.VIEWER))
    splits = client.get("/api/objects/?kind=trafficsplits&ordering=-name").json()
    assert [o["name"] for o in splits["results"]] == ["catalog-ab-test", "bookstore-canary"]
    by_namespace = client.get(f"/api/objects/?cluster={world.cluster.name}&namespace=storefront&kind=TrafficSplit")
    assert [o["name"] for o in by_namespace.json()["results"]] == ["catalog-ab-test"]
    assert client.get("/api/objects/?name=bookstore-canary").json()["count"] == 1
    page = client.get("/api/objects/?limit=2&offset=1&ordering=name").json()
    assert len(page["results"]) == 2 and page["count"] > 3 and page["next"]
    everything = client.get("/api/objects/?limit=1000").json()["results"]
    assert {o["kind"] for o in everything} == {"TrafficSplit", "TrafficTarget", "HTTPRouteGroup", "TCPRoute"}


def test_label_selector_filters_services(world):
    client = token_client(make_user("vera", Role.VIEWER))
    services = client.get("/api/services/?namespace=bookstore").json()["results"]
    labelled = [s for s in services if s["labels"]]
    assert labelled, "the demo world labels its Services"
    key, value = next(iter(labelled[0]["labels"].items()))
    selected = client.get(f"/api/services/?namespace=bookstore&label={key}={value}").json()["results"]
    assert selected and all(s["labels"].get(key) == value for s in selected)
    assert client.get(f"/api/services/?label={key}!={value}&namespace=bookstore").json()["count"] == \
        len(services) - len(selected)
    assert client.get("/api/services/?label=no-such-label").json()["count"] == 0


def test_detail_has_yaml_normalized_fields_shares_and_history(world):
    client = token_client(make_user("vera", Role.VIEWER))
    detail = client.get(split_url(world)).json()
    assert "kind: TrafficSplit" in detail["yaml"]
    assert detail["raw"]["spec"]["service"] == "bookstore"
    assert detail["normalized"]["service"] == "bookstore"
    assert detail["shares"]["bookstore-v2"] == {"exact": "1/5", "percent": 20.0}
    assert detail["annotations"]["smi-ui.io/description"].startswith("bookstore v2 canary")
    assert detail["controller"] is None
    assert [r["change"] for r in detail["revisions"]] == ["created"]


def test_namespaces_follow_the_grant(world):
    scoped = token_client(make_user("sam", Role.VIEWER, cluster=world.cluster, namespace="bookstore"))
    assert [n["name"] for n in scoped.get("/api/namespaces/").json()["results"]] == ["bookstore"]
    assert scoped.get("/api/objects/?namespace=storefront").json()["count"] == 0


def test_unknown_paths_and_bad_filters_answer_in_the_error_body(world):
    client = token_client(make_user("vera", Role.VIEWER))
    missing = client.get("/api/no-such-thing/")
    assert missing.status_code == 404 and missing.json()["errors"][0]["code"] == "not_found"
    bad = client.get("/api/audit/?since=yesterday")
    assert bad.status_code == 403  # viewers do not read the audit log at all
    auditor = token_client(make_user("audrey", Role.AUDITOR))
    bad = auditor.get("/api/audit/?since=yesterday")
    assert bad.status_code == 400 and bad.json()["errors"][0]["path"] == "since"
    nul = client.get("/api/objects/?name=a%00b")
    assert nul.status_code == 400


def test_unauthenticated_requests_get_401_with_a_challenge(world):
    from rest_framework.test import APIClient

    response = APIClient().get("/api/objects/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert json.loads(response.content)["errors"][0]["code"] == "not_authenticated"


def test_schema_and_docs_are_served_without_external_assets(client):
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "swagger-ui" in html
    assert "cdn" not in html.lower() and "https://" not in html
