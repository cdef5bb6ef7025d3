"""Editing pages over the demo world: who is offered them, what each kind's form holds, what is refused."""

from __future__ import annotations

import json
import re

import pytest

from smi_ui.accounts.models import Grant
from smi_ui.accounts.roles import Role
from smi_ui.inventory.models import KubeObject
from tests.edit_support import make_user

pytestmark = pytest.mark.django_db

KINDS = ("trafficsplits", "traffictargets", "httproutegroups", "tcproutes", "udproutes")


def get(client, url, status=200):
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return response.content.decode() if status == 200 else response


def editor_state(body: str) -> dict:
    match = re.search(r'<script id="editor-state" type="application/json">(.*?)</script>', body, re.S)
    assert match, "the page carries no editor state"
    return json.loads(match.group(1))


def obj_url(world, namespace, plural, name, suffix=""):
    return f"/clusters/{world.cluster.name}/objects/{namespace}/{plural}/{name}/{suffix}"


def test_policy_editors_get_edit_and_create_links_on_the_object_pages(world, logged_in):
    client = logged_in("pat", Role.POLICY_EDITOR)
    detail = get(client, obj_url(world, "bookstore", "traffictargets", "bookbuyer-to-bookstore"))
    assert obj_url(world, "bookstore", "traffictargets", "bookbuyer-to-bookstore", "edit/") in detail
    assert obj_url(world, "bookstore", "traffictargets", "bookbuyer-to-bookstore", "yaml/") in detail
    listing = get(client, f"/clusters/{world.cluster.name}/objects/?namespace=bookstore")
    assert listing.count("data-edit-link") == 2 * 7  # every SMI object of bookstore, form and YAML
    for plural in KINDS:  # the sandbox serves every kind, UDPRoute included
        assert f"/clusters/{world.cluster.name}/new/{plural}/?namespace=bookstore" in listing


@pytest.mark.parametrize("role", [Role.VIEWER, Role.OPERATOR, Role.AUDITOR])
def test_roles_without_policy_editing_get_no_links_and_the_pages_are_refused(world, logged_in, role):
    client = logged_in("someone", role)
    detail = get(client, obj_url(world, "bookstore", "httproutegroups", "bookwarehouse-routes"))
    assert "/edit/" not in detail and "/yaml/" not in detail and "Delete" not in detail
    listing = get(client, f"/clusters/{world.cluster.name}/objects/")
    assert "data-edit-link" not in listing and "/new/" not in listing
    for url in (obj_url(world, "bookstore", "httproutegroups", "bookwarehouse-routes", "edit/"),
                obj_url(world, "bookstore", "httproutegroups", "bookwarehouse-routes", "yaml/"),
                f"/clusters/{world.cluster.name}/new/httproutegroups/",
                f"/clusters/{world.cluster.name}/new/traffictargets/yaml/"):
        get(client, url, 403)


def test_links_and_pages_follow_a_namespace_limited_grant(world, client):
    user = make_user("nora", Role.VIEWER)
    Grant.objects.create(user=user, role=Role.POLICY_EDITOR, cluster=world.cluster, namespace="storefront")
    client.force_login(user)
    assert "/edit/" not in get(client, obj_url(world, "bookstore", "trafficsplits", "bookstore-canary"))
    get(client, obj_url(world, "bookstore", "trafficsplits", "bookstore-canary", "edit/"), 403)
    get(client, obj_url(world, "storefront", "trafficsplits", "catalog-ab-test", "edit/"))
    body = get(client, f"/clusters/{world.cluster.name}/new/traffictargets/?namespace=bookstore")
    assert editor_state(body)["namespace"] == "storefront"  # a namespace they may not edit is not offered
    assert re.findall(r"<option[^>]*>(\w+)</option>", body.split('data-namespace-select>')[1].split("</select>")[0]) \
        == ["storefront"]


def test_objects_in_namespaces_the_user_cannot_see_are_not_found(world, logged_in):
    client = logged_in("nina", Role.POLICY_EDITOR, cluster=world.cluster, namespace="storefront")
    get(client, obj_url(world, "bookstore", "traffictargets", "bookbuyer-to-bookstore", "edit/"), 404)
    get(client, obj_url(world, "storefront", "services", "catalog", "edit/"), 404)  # only SMI kinds are edited


def test_the_traffic_split_form_holds_its_backends_weights_and_route_groups(world, logged_in):
    body = get(logged_in("pat", Role.POLICY_EDITOR),
               obj_url(world, "storefront", "trafficsplits", "catalog-ab-test", "edit/"))
    assert 'value="catalog"' in body and 'value="catalog-beta"' in body
    assert body.count('<div class="edit-row" data-row="backend">') == 2 + 1  # two backends and the row template
    assert 'data-row="split-match"' in body and 'value="firefox-users"' in body
    state = editor_state(body)
    assert state["api_object"] == f"/api/objects/{world.cluster.name}/storefront/trafficsplits/catalog-ab-test/"
    assert state["caps"]["api_version"] == "split.smi-spec.io/v1alpha4" and state["caps"]["split_matches"]
    assert state["resource_version"] == KubeObject.objects.get(name="catalog-ab-test").resource_version


def test_the_traffic_target_form_holds_destination_rules_and_sources(world, logged_in):
    body = get(logged_in("pat", Role.POLICY_EDITOR),
               obj_url(world, "storefront", "traffictargets", "checkout-to-payments", "edit/"))
    assert 'data-field="destination.name" value="payments"' in body
    assert 'value="payments-routes"' in body
    assert body.count('data-row="source"') == 2 + 1 and 'value="bookstore"' in body
    assert 'data-field="destination.port"' not in body  # v1alpha3 has no destination port
    assert re.search(r"<option ?>UDPRoute</option>", body)


def test_the_route_group_form_holds_matches_methods_and_headers(world, logged_in):
    body = get(logged_in("pat", Role.POLICY_EDITOR),
               obj_url(world, "bookstore", "httproutegroups", "bookstore-service-routes", "edit/"))
    assert 'value="books-bought"' in body and 'value="/books-bought"' in body
    assert re.search(r'data-method value="GET" checked', body)
    assert 'value="user-agent"' in body and 'value=".*-http-client/.*"' in body


def test_the_tcp_route_form_holds_its_ports(world, logged_in):
    body = get(logged_in("pat", Role.POLICY_EDITOR), obj_url(world, "bookstore", "tcproutes", "mysql-tcp", "edit/"))
    assert 'data-k="port" value="3306"' in body


@pytest.mark.parametrize("plural", KINDS)
def test_every_served_kind_has_a_create_form_and_a_yaml_starter(world, logged_in, plural):
    client = logged_in("pat", Role.POLICY_EDITOR)
    state = editor_state(get(client, f"/clusters/{world.cluster.name}/new/{plural}/?namespace=storefront"))
    assert state["create"] and state["namespace"] == "storefront" and state["api_create"] == "/api/objects/"
    body = get(client, f"/clusters/{world.cluster.name}/new/{plural}/yaml/?namespace=storefront")
    text = re.search(r"<textarea[^>]*>(.*?)</textarea>", body, re.S).group(1)
    assert "namespace: storefront" in text and f"apiVersion: {state['caps']['api_version']}" in text


def test_forms_offer_only_what_the_served_version_holds(world_factory, logged_in):
    osm = world_factory(layout="osm")
    client = logged_in("pat", Role.POLICY_EDITOR)
    body = get(client, f"/clusters/{osm.cluster.name}/objects/bookstore/trafficsplits/bookstore-canary/edit/")
    assert editor_state(body)["caps"]["api_version"] == "split.smi-spec.io/v1alpha2"
    assert 'data-section="spec.matches"' not in body  # v1alpha2 splits have no matches
    get(client, f"/clusters/{osm.cluster.name}/new/udproutes/", 404)  # OSM installs no UDPRoute CRD
    assert "/new/udproutes/" not in get(client, f"/clusters/{osm.cluster.name}/objects/")


def test_the_yaml_editor_shows_what_an_edit_may_change(world, logged_in):
    body = get(logged_in("pat", Role.POLICY_EDITOR),
               obj_url(world, "bookstore", "trafficsplits", "bookstore-canary", "yaml/"))
    text = re.search(r"<textarea[^>]*>(.*?)</textarea>", body, re.S).group(1)
    assert "kind: TrafficSplit" in text and "weight: 80" in text and "smi-ui.io/description" in text
    assert "resourceVersion" not in text and "managedFields" not in text and "uid:" not in text


def test_controller_owned_objects_are_read_only_with_the_reason(world, logged_in):
    split = KubeObject.objects.get(cluster=world.cluster, kind="TrafficSplit", name="bookstore-canary")
    split.raw["metadata"]["ownerReferences"] = [{"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout",
                                                 "name": "bookstore", "controller": True, "uid": "1"}]
    split.save()
    client = logged_in("root", is_superuser=True)
    assert "/edit/" not in get(client, obj_url(world, "bookstore", "trafficsplits", "bookstore-canary"))
    for suffix in ("edit/", "yaml/"):
        body = get(client, obj_url(world, "bookstore", "trafficsplits", "bookstore-canary", suffix))
        assert "Read-only: managed by Argo Rollouts" in body
        assert "data-editor-form" not in body and "editor-state" not in body


def test_user_input_in_the_form_is_escaped(world, logged_in):
    route = KubeObject.objects.get(cluster=world.cluster, kind="HTTPRouteGroup", name="bookwarehouse-routes")
    route.raw["spec"]["matches"][0]["pathRegex"] = '"><script>alert(1)</script>'
    route.save()
    body = get(logged_in("pat", Role.POLICY_EDITOR),
               obj_url(world, "bookstore", "httproutegroups", "bookwarehouse-routes", "edit/"))
    assert "<script>alert(1)" not in body and "&lt;script&gt;alert(1)" in body


def test_a_viewers_forged_create_through_the_api_is_refused_and_nothing_is_written(world, logged_in):
    client = logged_in("vic", Role.VIEWER)
    manifest = {"apiVersion": "specs.smi-spec.io/v1alpha4", "kind": "TCPRoute",
                "metadata": {"name": "forged", "namespace": "bookstore"}, "spec": {"matches": {"ports": [22]}}}
    response = client.post("/api/objects/", {"cluster": world.cluster.name, "manifest": manifest},
                           content_type="application/json")
    assert response.status_code == 403
    assert world.writes() == []
