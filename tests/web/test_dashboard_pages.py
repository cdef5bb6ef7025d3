"""Pages over the demo world: what each role is offered, what is refused, and what each page shows."""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.utils import timezone

from smi_ui.accounts.models import Grant
from smi_ui.accounts.roles import Role
from smi_ui.inventory.models import KubeObject, Revision
from tests.edit_support import make_user

pytestmark = pytest.mark.django_db


def page(client, url, status=200):
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return response.content.decode() if status == 200 else response


def split_url(world, name="bookstore-canary", namespace="bookstore"):
    return f"/clusters/{world.cluster.name}/objects/{namespace}/trafficsplits/{name}/weights/"


def test_overview_counts_the_planted_policy_error(world, logged_in):
    body = page(logged_in("vic", Role.VIEWER), "/")
    assert "1 error" in body
    assert f"/clusters/{world.cluster.name}/topology/" in body


def test_cluster_pages_are_not_found_for_users_without_a_grant(world, logged_in):
    client = logged_in("nobody")
    for suffix in ("policy/", "policy/access.csv", "topology/", "topology.json", "objects/"):
        page(client, f"/clusters/{world.cluster.name}/{suffix}", 404)


def test_pages_send_anonymous_users_to_login(world, client):
    response = client.get(f"/clusters/{world.cluster.name}/policy/")
    assert response.status_code == 302 and response.url.startswith("/login/")


def test_a_namespace_limited_viewer_sees_only_that_namespace(world, logged_in):
    client = logged_in("nina", Role.VIEWER, cluster=world.cluster, namespace="storefront")
    page(client, f"/clusters/{world.cluster.name}/objects/bookstore/trafficsplits/bookstore-canary/", 404)
    page(client, split_url(world), 404)
    body = page(client, f"/clusters/{world.cluster.name}/policy/")
    assert "frontend-to-checkout" in body and "bookwarehouse" not in body
    nodes = client.get(f"/clusters/{world.cluster.name}/topology.json").json()["nodes"]
    assert {node["namespace"] for node in nodes if node["type"] == "service"} == {"storefront"}
    overview = page(client, "/")
    assert world.cluster.api_server not in overview  # cluster-wide details are for cluster-wide readers
    assert world.cluster.api_server in page(logged_in("vic", Role.VIEWER, cluster=world.cluster), "/")


def test_findings_csv_downloads_as_an_attachment_and_parses(world, logged_in):
    response = logged_in("audrey", Role.AUDITOR).get(f"/clusters/{world.cluster.name}/policy/findings.csv")
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [(r["code"], r["traffic_target"]) for r in rows] == [("missing-route", "frontend-to-checkout")]


def test_who_can_reach_lists_sources_across_namespaces(world, logged_in):
    body = page(logged_in("vic", Role.VIEWER),
                f"/clusters/{world.cluster.name}/policy/?identity=storefront/payments")
    assert "Who can reach payments" in body
    assert "bookstore/bookstore" in body and "storefront/checkout" in body


def test_the_printable_report_lists_findings_and_matrix_without_edit_links(world, logged_in):
    body = page(logged_in("audrey", Role.AUDITOR), f"/clusters/{world.cluster.name}/policy/report/")
    assert "Access policy report" in body and "checkout-routes" in body and "data-print" in body


def test_a_viewer_gets_a_read_only_split_page(world, logged_in):
    body = page(logged_in("vic", Role.VIEWER), split_url(world))
    assert "Read-only" in body and "data-weight-slider" not in body and 'data-action="preview"' not in body
    assert "80 %" in body and "20 %" in body


def test_an_operator_gets_sliders_and_the_api_contract(world, logged_in):
    body = page(logged_in("olivia", Role.OPERATOR), split_url(world))
    assert body.count("data-weight-slider") == 2 and 'data-action="preview"' in body
    assert f"/api/objects/{world.cluster.name}/bookstore/trafficsplits/bookstore-canary/weights/" in body
    assert "Live traffic (RPS, success rate, p99, observed share) is not available yet" in body


def test_weights_are_offered_only_where_the_operator_grant_applies(world, client):
    user = make_user("olga", Role.VIEWER)
    Grant.objects.create(user=user, role=Role.OPERATOR, cluster=world.cluster, namespace="storefront")
    client.force_login(user)
    assert "data-weight-slider" in page(client, split_url(world, "catalog-ab-test", "storefront"))
    body = page(client, split_url(world))
    assert "data-weight-slider" not in body and "your role does not allow" in body


def test_a_controller_owned_split_is_read_only_with_the_reason_even_for_admins(world, logged_in):
    split = KubeObject.objects.get(cluster=world.cluster, kind="TrafficSplit", name="bookstore-canary")
    split.raw["metadata"]["ownerReferences"] = [{"apiVersion": "flagger.app/v1beta1", "kind": "Canary",
                                                 "name": "bookstore", "controller": True, "uid": "1"}]
    split.save()
    body = page(logged_in("root", is_superuser=True), split_url(world))
    assert "Read-only: managed by Flagger" in body and "data-weight-slider" not in body


def test_the_audit_log_is_refused_to_viewers_and_hidden_from_their_menu(world, logged_in):
    client = logged_in("vic", Role.VIEWER)
    assert client.get("/audit/").status_code == 403
    assert 'href="/audit/"' not in page(client, "/")


def test_the_audit_log_shows_the_chain_status_to_auditors(world, logged_in):
    body = page(logged_in("audrey", Role.AUDITOR), "/audit/")
    assert "Hash chain verified" in body and 'href="/audit/"' in body
    assert "/api/audit/export/csv/?" in body


def test_object_page_shows_history_with_authors_and_compares_two_revisions(world, logged_in):
    split = KubeObject.objects.get(cluster=world.cluster, kind="TrafficSplit", name="bookstore-canary")
    before = split.raw
    after = {**before, "spec": {**before["spec"], "backends": [{"service": "bookstore-v1", "weight": 10},
                                                              {"service": "bookstore-v2", "weight": 90}]}}
    common = {"cluster": world.cluster, "api_version": split.api_version, "kind": "TrafficSplit",
              "namespace": "bookstore", "name": "bookstore-canary", "uid": split.uid}
    first = Revision.objects.create(**common, resource_version="1", change="created", after=before,
                                    field_manager="kubectl-client-side-apply", observed_at=timezone.now())
    second = Revision.objects.create(**common, resource_version="2", change="modified", before=before, after=after,
                                     source="dashboard", actor="olivia", observed_at=timezone.now())
    url = f"/clusters/{world.cluster.name}/objects/bookstore/trafficsplits/bookstore-canary/"
    body = page(logged_in("vic", Role.VIEWER), f"{url}?from={first.pk}&to={second.pk}")
    assert "kubectl-client-side-apply" in body and "olivia (via dashboard edit)" in body
    # (PostgreSQL's jsonb may reorder keys, so lines are matched by content, not indentation)
    assert re.search(r"^-.*weight: 80$", body, re.MULTILINE) and re.search(r"^\+.*weight: 90$", body, re.MULTILINE)
    comparison = body.split('data-testid="comparison">')[1].split("</pre>")[0]
    assert f"--- object ({first.label})" in comparison and f"+++ object ({second.label})" in comparison
    assert "(current)" not in comparison and "UTC" in first.label and "rv 1" in first.label


def test_a_change_nobody_named_reads_as_such_on_the_object_page_and_the_overview(world, logged_in):
    split = KubeObject.objects.get(cluster=world.cluster, kind="TrafficSplit", name="bookstore-canary")
    Revision.objects.create(cluster=world.cluster, api_version=split.api_version, kind="TrafficSplit",
                            namespace="bookstore", name="bookstore-canary", uid=split.uid, resource_version="99",
                            change="created", after=split.raw, observed_at=timezone.now())
    client = logged_in("vic", Role.VIEWER)
    for url in ("/", f"/clusters/{world.cluster.name}/objects/bookstore/trafficsplits/bookstore-canary/"):
        body = page(client, url)
        assert "a writer the cluster did not name (seen by sync)" in body and "by observed by sync" not in body


def test_unknown_kinds_in_object_urls_are_not_found(world, logged_in):
    page(logged_in("vic", Role.VIEWER), f"/clusters/{world.cluster.name}/objects/bookstore/secrets/x/", 404)


def test_revert_is_offered_to_policy_editors_only(world, logged_in, client):
    split = KubeObject.objects.get(cluster=world.cluster, kind="TrafficSplit", name="bookstore-canary")
    for rv in ("1", "2"):
        Revision.objects.create(cluster=world.cluster, api_version=split.api_version, kind="TrafficSplit",
                                namespace="bookstore", name="bookstore-canary", uid=split.uid, resource_version=rv,
                                change="modified", before=split.raw, after=split.raw, observed_at=timezone.now())
    url = f"/clusters/{world.cluster.name}/objects/bookstore/trafficsplits/bookstore-canary/"
    assert "data-revert" not in page(logged_in("olivia", Role.OPERATOR), url)
    client.logout()
    body = page(logged_in("pat", Role.POLICY_EDITOR), url)
    assert 'data-revert="preview"' in body and "/revert/" in body


def test_backend_names_that_cannot_be_object_urls_render_as_text(world_factory, logged_in):
    """Backend references are not validated by the API server; pages must not break on them."""
    from smi_ui.sandbox.demo import demo_objects

    odd = {"apiVersion": "split.smi-spec.io/v1alpha4", "kind": "TrafficSplit",
           "metadata": {"name": "odd-backends", "namespace": "bookstore"},
           "spec": {"service": "bookstore", "backends": [{"service": "a/b", "weight": 1},
                                                         {"service": "", "weight": 1},
                                                         {"service": "bookstore-v1", "weight": 1}]}}
    world = world_factory(objects=[*demo_objects(), odd])
    client = logged_in("vic", Role.VIEWER)
    body = page(client, split_url(world, name="odd-backends"))
    assert ">a/b<" in body and 'href="/clusters/' in body
    assert f'/clusters/{world.cluster.name}/objects/bookstore/services/bookstore-v1/' in body
    page(client, f"/clusters/{world.cluster.name}/topology/")
    page(client, f"/clusters/{world.cluster.name}/topology/?namespace=bookstore")


def test_the_object_list_pages_through_every_object_keeping_its_filters(world, logged_in, monkeypatch):
    from smi_ui.web.views import objects

    monkeypatch.setattr(objects, "PAGE_SIZE", 5)
    client = logged_in("vic", Role.VIEWER)
    total = KubeObject.objects.filter(cluster=world.cluster, namespace="bookstore",
                                      kind__in=objects.listed_kinds()).count()
    assert total > 10
    seen, number = [], 1
    while True:
        body = page(client, f"/clusters/{world.cluster.name}/objects/?namespace=bookstore&page={number}")
        seen += re.findall(r'<tr><td>(bookstore)</td><td>(\w+)</td>\s*<td><a href="[^"]+">([^<]+)</a>', body)
        if 'rel="next"' not in body:
            break
        assert f'href="?namespace=bookstore&amp;page={number + 1}"' in body
        number += 1
    assert len(seen) == total == len(set(seen)) and f"of {total}" in body
