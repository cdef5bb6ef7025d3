"""Reference fields of the editing forms: names suggested from the inventory, and warnings for names that match nothing.

Suggestions are `<datalist>`s the page carries; warnings come from `references.json`, which the
form asks as the user types. Both only ever speak of namespaces the user may see.
"""

from __future__ import annotations

import copy
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from smi_ui.accounts.roles import Role
from smi_ui.clusters.models import Cluster
from smi_ui.inventory.models import KubeObject
from smi_ui.web.references import MAX_REFERENCES, SUGGEST_PER_NAMESPACE
from tests.edit_support import make_user

pytestmark = pytest.mark.django_db


def datalists(body: str) -> dict[str, list[str]]:
    """Datalist id -> the option values the page offers."""
    return {name: re.findall(r'<option value="([^"]*)">', options)
            for name, options in re.findall(r'<datalist id="dl-([^"]+)"[^>]*>(.*?)</datalist>', body, re.S)}


def form(client, world, namespace, plural, name):
    response = client.get(f"/clusters/{world.cluster.name}/objects/{namespace}/{plural}/{name}/edit/")
    assert response.status_code == 200
    return response.content.decode()


def stored(world, kind, name):
    return copy.deepcopy(KubeObject.objects.get(cluster=world.cluster, kind=kind, name=name).raw)


def check(client, world, manifest, status=200, cluster=None):
    response = client.post(f"/clusters/{cluster or world.cluster.name}/references.json", {"manifest": manifest},
                           content_type="application/json")
    assert response.status_code == status, response.content
    return response.json()


def warnings(client, world, manifest):
    return {w["path"]: w["message"] for w in check(client, world, manifest)["warnings"]}


def test_the_split_form_suggests_the_namespaces_services_and_route_groups(world, logged_in):
    lists = datalists(form(logged_in("pat", Role.POLICY_EDITOR), world, "storefront", "trafficsplits",
                           "catalog-ab-test"))
    assert {"catalog", "catalog-beta", "checkout", "frontend", "payments"} <= set(lists["services"])
    assert not {"bookstore-v1", "bookstore-v2"} & set(lists["services"])  # services of another namespace
    assert {"firefox-users", "catalog-routes", "payments-routes"} <= set(lists["httproutegroups"])
    assert lists["matches-catalog-routes"] == ["browse", "search"]


def test_the_target_form_suggests_service_accounts_routes_and_their_match_names(world, logged_in):
    body = form(logged_in("pat", Role.POLICY_EDITOR), world, "storefront", "traffictargets", "checkout-to-payments")
    lists = datalists(body)
    assert {"storefront/checkout", "storefront/payments", "bookstore/bookbuyer"} <= set(lists["serviceaccounts"])
    assert lists["serviceaccounts"][0].startswith("storefront/")  # the form's own namespace first
    assert {"bookstore", "storefront"} <= set(lists["namespaces"])
    assert lists["matches-payments-routes"] == ["charge"]
    assert 'data-k="matches" value="" placeholder="all (or: a, b)" list="dl-matches-payments-routes"' in body


def test_suggestions_leave_out_namespaces_the_user_cannot_see(world, logged_in):
    client = logged_in("nina", Role.POLICY_EDITOR, cluster=world.cluster, namespace="storefront")
    lists = datalists(form(client, world, "storefront", "traffictargets", "checkout-to-payments"))
    assert "storefront/checkout" in lists["serviceaccounts"]
    assert not [name for name in lists["serviceaccounts"] if name.startswith("bookstore/")]
    assert lists["namespaces"] == ["storefront"]


def test_suggestions_are_bounded_per_namespace(world, logged_in):
    now = timezone.now()
    KubeObject.objects.bulk_create(
        KubeObject(cluster=world.cluster, api_version="v1", kind=kind, namespace="storefront", name=f"extra-{i:03}",
                   uid=f"{kind}-{i}", resource_version="1", raw={}, observed_at=now)
        for kind in ("Service", "ServiceAccount") for i in range(SUGGEST_PER_NAMESPACE + 50))
    lists = datalists(form(logged_in("pat", Role.POLICY_EDITOR), world, "storefront", "trafficsplits",
                           "catalog-ab-test"))
    assert len(lists["services"]) == SUGGEST_PER_NAMESPACE
    mine = [name for name in lists["serviceaccounts"] if name.startswith("storefront/")]
    assert len(mine) == SUGGEST_PER_NAMESPACE
    assert "bookstore/bookbuyer" in lists["serviceaccounts"]  # other namespaces still get their share


def test_the_planted_mistake_names_its_missing_route_group(world, logged_in):
    client = logged_in("pat", Role.POLICY_EDITOR)
    body = form(client, world, "storefront", "traffictargets", "frontend-to-checkout")
    assert f'"references": "/clusters/{world.cluster.name}/references.json"' in body
    assert warnings(client, world, stored(world, "TrafficTarget", "frontend-to-checkout")) == {
        "spec.rules[0].name": "no HTTPRouteGroup checkout-routes in storefront"}


def test_sound_objects_have_no_warnings(world, logged_in):
    client = logged_in("pat", Role.POLICY_EDITOR)
    for kind, name in (("TrafficSplit", "catalog-ab-test"), ("TrafficSplit", "bookstore-canary"),
                       ("TrafficTarget", "checkout-to-payments"), ("TrafficTarget", "bookbuyer-to-bookstore")):
        assert warnings(client, world, stored(world, kind, name)) == {}, name


def test_a_backend_naming_a_missing_service_is_named(world, logged_in):
    client = logged_in("pat", Role.POLICY_EDITOR)
    split = stored(world, "TrafficSplit", "bookstore-canary")
    split["spec"]["backends"][1]["service"] = "bookstore-v9"
    split["spec"]["service"] = "bookstore-root"
    assert warnings(client, world, split) == {"spec.backends[1].service": "no Service bookstore-v9 in bookstore",
                                              "spec.service": "no Service bookstore-root in bookstore"}
    split["spec"]["matches"] = [{"kind": "HTTPRouteGroup", "name": "nobody-routes"}]
    assert warnings(client, world, split)["spec.matches[0].name"] == "no HTTPRouteGroup nobody-routes in bookstore"


def test_target_identities_routes_and_match_names_are_judged(world, logged_in):
    client = logged_in("pat", Role.POLICY_EDITOR)
    target = stored(world, "TrafficTarget", "checkout-to-payments")
    target["spec"]["destination"]["name"] = "payment"
    target["spec"]["sources"].append({"kind": "ServiceAccount", "name": "ghost", "namespace": "bookstore"})
    target["spec"]["rules"][0]["matches"] = ["charge", "refund"]
    target["spec"]["rules"].append({"kind": "TCPRoute", "name": "no-such-tcp"})
    assert warnings(client, world, target) == {
        "spec.destination.name": "no ServiceAccount payment in storefront",
        "spec.sources[2].name": "no ServiceAccount ghost in bookstore",
        "spec.rules[0].matches[1]": "no match refund in HTTPRouteGroup payments-routes",
        "spec.rules[1].name": "no TCPRoute no-such-tcp in storefront",
    }


def test_references_into_a_namespace_the_user_cannot_see_are_not_judged(world, logged_in):
    client = logged_in("nina", Role.POLICY_EDITOR, cluster=world.cluster, namespace="storefront")
    target = stored(world, "TrafficTarget", "checkout-to-payments")
    target["spec"]["sources"] = [{"kind": "ServiceAccount", "name": "ghost", "namespace": "bookstore"},
                                 {"kind": "ServiceAccount", "name": "bookbuyer", "namespace": "bookstore"},
                                 {"kind": "ServiceAccount", "name": "ghost", "namespace": "storefront"}]
    # a missing and an existing account of bookstore read the same (nothing): only storefront is judged
    assert warnings(client, world, target) == {"spec.sources[2].name": "no ServiceAccount ghost in storefront"}


def test_the_check_costs_the_same_queries_for_one_reference_or_many(world, logged_in):
    client = logged_in("pat", Role.POLICY_EDITOR)
    target = stored(world, "TrafficTarget", "checkout-to-payments")

    def queries(sources: int) -> int:
        target["spec"]["sources"] = [{"kind": "ServiceAccount", "name": f"sa-{i}", "namespace": ns}
                                     for i in range(sources) for ns in ("bookstore", "storefront")][:sources]
        with CaptureQueriesContext(connection) as captured:
            assert len(check(client, world, target)["warnings"]) == sources
        return len(captured)

    assert queries(1) == queries(MAX_REFERENCES - 10)


def test_too_many_references_are_refused_naming_the_field(world, logged_in):
    client = logged_in("pat", Role.POLICY_EDITOR)
    target = stored(world, "TrafficTarget", "checkout-to-payments")
    target["spec"]["sources"] = [{"kind": "ServiceAccount", "name": f"sa-{i}"} for i in range(MAX_REFERENCES + 1)]
    (error,) = check(client, world, target, status=400)["errors"]
    assert error["path"] == "manifest" and str(MAX_REFERENCES) in error["message"]


def test_malformed_checks_are_refused_naming_the_field(world, logged_in):
    client = logged_in("pat", Role.POLICY_EDITOR)
    assert check(client, world, "not an object", status=400)["errors"][0]["path"] == "manifest"
    assert check(client, world, {"kind": "Pod", "metadata": {"namespace": "storefront"}},
                 status=400)["errors"][0]["path"] == "manifest.kind"
    assert check(client, world, {"kind": "TrafficSplit", "metadata": {}},
                 status=400)["errors"][0]["path"] == "manifest.metadata.namespace"
    huge = {"kind": "TrafficSplit", "metadata": {"namespace": "storefront"}, "spec": {"service": "x" * 70_000}}
    assert check(client, world, huge, status=413)["errors"][0]["code"] == "too-large"


def test_checks_follow_the_edit_pages_refusals(world, logged_in, client):
    target = stored(world, "TrafficTarget", "checkout-to-payments")
    check(client, world, target, status=401)  # not logged in (JSON, not a login redirect)
    Cluster.objects.create(name="hidden")
    nina = logged_in("nina", Role.POLICY_EDITOR, cluster=world.cluster, namespace="storefront")
    assert check(nina, world, target, status=404, cluster="hidden")["errors"][0]["code"] == "not_found"
    assert check(nina, world, stored(world, "TrafficSplit", "bookstore-canary"), status=403)["errors"]
    viewer = logged_in("vic", Role.VIEWER)
    assert check(viewer, world, target, status=403)["errors"]
    assert world.writes() == []


def test_route_kinds_have_no_reference_check(world, logged_in):
    body = form(logged_in("pat", Role.POLICY_EDITOR), world, "bookstore", "httproutegroups", "bookwarehouse-routes")
    assert '"references": ""' in body


def test_a_check_from_another_site_is_refused_without_the_csrf_token(world):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(make_user("pat", Role.POLICY_EDITOR))
    errors = check(browser, world, stored(world, "TrafficTarget", "frontend-to-checkout"), status=403)["errors"]
    assert "CSRF" in errors[0]["message"]


def test_the_create_form_suggests_the_chosen_namespaces_names(world, logged_in):
    client = logged_in("pat", Role.POLICY_EDITOR)
    response = client.get(f"/clusters/{world.cluster.name}/new/trafficsplits/?namespace=bookstore")
    lists = datalists(response.content.decode())
    assert {"bookstore-v1", "bookstore-v2"} <= set(lists["services"]) and "catalog" not in lists["services"]
