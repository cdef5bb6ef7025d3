"""Editing SMI objects and reading the audit log in real Chromium, end to end against a sandbox cluster."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
import yaml

from smi_ui.accounts.roles import Role
from tests.browser.conftest import log_in, screenshot, sync_api
from tests.edit_support import SPLIT_V4, make_user, token_client

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]
expect = sync_api.expect

HRG_V4 = "specs.smi-spec.io/v1alpha4"
TT_V3 = "access.smi-spec.io/v1alpha3"
ACCEPTED = "Dry run: the cluster accepts this change."


def objects_url(world, namespace, plural, name, suffix=""):
    return f"/clusters/{world.cluster.name}/objects/{namespace}/{plural}/{name}/{suffix}"


def row(page, kind, index):
    return page.locator(f'[data-rows="{kind}"] > [data-row="{kind}"]').nth(index)


def test_an_editor_creates_an_http_route_group_with_the_form(world, new_page):
    make_user("pat", Role.POLICY_EDITOR)
    page = new_page()
    log_in(page, "pat")
    page.goto(f"/clusters/{world.cluster.name}/objects/?namespace=bookstore")
    expect(page.get_by_test_id("create-links")).to_be_visible()
    screenshot(page, "objects-editable")
    page.get_by_role("link", name="HTTPRouteGroup", exact=True).click()
    expect(page.get_by_role("heading", name="New HTTPRouteGroup")).to_be_visible()
    page.get_by_label("Name", exact=True).first.fill("reviews-routes")
    first = row(page, "match", 0)
    first.locator('[data-k="name"]').fill("read-reviews")
    first.locator('[data-k="pathRegex"]').fill("/reviews/.*")
    first.locator('[data-method][value="HEAD"]').check()
    first.get_by_role("button", name="Add header condition").click()
    first.locator('[data-row="header"] [data-k="name"]').fill("x-canary")
    first.locator('[data-row="header"] [data-k="value"]').fill("true")
    page.get_by_role("button", name="Add match entry").click()
    second = row(page, "match", 1)
    expect(second.locator('[data-k="name"]')).to_be_focused()
    second.locator('[data-k="name"]').fill("write-review")
    second.locator('[data-k="pathRegex"]').fill("/reviews")
    second.locator('[data-method][value="POST"]').check()
    page.get_by_role("button", name="Add match entry").click()  # one too many: removed again
    row(page, "match", 2).get_by_role("button", name="Remove this match entry").click()
    expect(page.locator('[data-row="match"]')).to_have_count(2)
    screenshot(page, "edit-form-httproutegroup-new")
    page.get_by_role("button", name="Preview change…").click()
    expect(page.locator("[data-verdict]")).to_have_text(ACCEPTED)
    expect(page.locator("[data-diff]")).to_contain_text(re.compile(r"^\+.*name: reviews-routes$", re.MULTILINE))
    assert world.live(HRG_V4, "HTTPRouteGroup", "reviews-routes", "bookstore") is None  # a preview writes nothing
    screenshot(page, "edit-form-preview")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("[data-applied]")).to_contain_text("Created: HTTPRouteGroup bookstore/reviews-routes")
    created = world.live(HRG_V4, "HTTPRouteGroup", "reviews-routes", "bookstore")
    assert created["spec"]["matches"] == [
        {"name": "read-reviews", "pathRegex": "/reviews/.*", "methods": ["GET", "HEAD"],
         "headers": [{"x-canary": "true"}]},
        {"name": "write-review", "pathRegex": "/reviews", "methods": ["POST"]},
    ]
    page.get_by_role("link", name="Open the object").click()
    expect(page.get_by_test_id("object-title")).to_contain_text("reviews-routes")
    expect(page.get_by_test_id("yaml")).to_contain_text("write-review")


def test_an_editor_edits_a_traffic_target_through_the_yaml_editor(world, new_page):
    make_user("pat", Role.POLICY_EDITOR)
    page = new_page()
    log_in(page, "pat")
    page.goto(objects_url(world, "bookstore", "traffictargets", "bookbuyer-to-bookstore"))
    screenshot(page, "object-detail-editable")
    page.get_by_test_id("edit-yaml-link").click()
    editor = page.get_by_label("TrafficTarget as YAML")
    expect(editor).to_have_value(re.compile(r"name: bookbuyer-to-bookstore"))
    document = yaml.safe_load(editor.input_value())
    document["spec"]["rules"][0]["kind"] = "Foo"
    editor.fill(yaml.safe_dump(document, sort_keys=False))
    page.get_by_role("button", name="Preview change…").click()
    expect(page.locator('[data-field-error="spec.rules[0].kind"]')).to_contain_text("'Foo' is not one of")
    assert world.writes() == []  # refused before the cluster was even asked
    document["spec"]["rules"][0]["kind"] = "HTTPRouteGroup"
    document["spec"]["sources"].append({"kind": "ServiceAccount", "name": "bookwarehouse", "namespace": "bookstore"})
    editor.fill(yaml.safe_dump(document, sort_keys=False))
    editor.press("Control+Enter")
    expect(page.locator("[data-verdict]")).to_have_text(ACCEPTED)
    expect(page.locator('[data-field-error]')).to_have_count(0)
    expect(page.locator("[data-diff]")).to_contain_text(re.compile(r"^\+.*name: bookwarehouse$", re.MULTILINE))
    expect(page.locator("[data-diff]")).not_to_contain_text("metadata:")  # only the real change shows
    screenshot(page, "yaml-editor")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("[data-applied]")).to_contain_text("Applied")
    live = world.live(TT_V3, "TrafficTarget", "bookbuyer-to-bookstore", "bookstore")
    assert [s["name"] for s in live["spec"]["sources"]] == ["bookbuyer", "bookwarehouse"]
    assert page.get_by_test_id("base-version").inner_text() == live["metadata"]["resourceVersion"]


def test_bad_input_in_the_form_is_named_next_to_its_field_and_nothing_is_written(world, new_page):
    make_user("pat", Role.POLICY_EDITOR)
    page = new_page()
    log_in(page, "pat")
    page.goto(f"/clusters/{world.cluster.name}/new/httproutegroups/?namespace=bookstore")
    page.get_by_label("Name", exact=True).first.fill("Bad_Routes")
    first = row(page, "match", 0)
    first.locator('[data-k="name"]').fill("lookahead")
    first.locator('[data-k="pathRegex"]').fill("/(?=admin)")
    page.get_by_role("button", name="Preview change…").click()
    path_error = first.locator('[data-field-error="spec.matches[0].pathRegex"]')
    expect(path_error).to_contain_text("not an RE2 regular expression")
    expect(first.locator('[data-k="pathRegex"]')).to_have_attribute("aria-invalid", "true")
    expect(page.locator('[data-field-error="metadata.name"]')).to_contain_text("DNS-1123")
    expect(page.locator("[data-preview]")).to_be_hidden()
    screenshot(page, "edit-form-validation-error")
    assert world.writes() == []
    assert world.live(HRG_V4, "HTTPRouteGroup", "Bad_Routes", "bookstore") is None
    # fixed input clears the errors and goes through
    page.get_by_label("Name", exact=True).first.fill("admin-routes")
    first.locator('[data-k="pathRegex"]').fill("/admin(/.*)?")
    page.get_by_role("button", name="Preview change…").click()
    expect(page.locator("[data-verdict]")).to_have_text(ACCEPTED)
    expect(page.locator("[data-field-error]")).to_have_count(0)
    first.locator('[data-k="name"]').fill("admin")  # the preview no longer shows what would be sent
    expect(page.locator("[data-preview]")).to_be_hidden()


def test_a_change_made_meanwhile_shows_their_version_and_reapply_goes_on_top(world, new_page):
    make_user("pat", Role.POLICY_EDITOR)
    page = new_page()
    log_in(page, "pat")
    page.goto(objects_url(world, "bookstore", "trafficsplits", "bookstore-canary", "edit/"))
    world.handle.kubectl("patch", "trafficsplits.split.smi-spec.io", "bookstore-canary", "-n", "bookstore",
                         "--type=json", "-p", json.dumps([{"op": "replace", "path": "/spec/backends/1/weight",
                                                            "value": 35}]), check=True)
    row(page, "backend", 0).locator('[data-k="weight"]').fill("60")
    row(page, "backend", 1).locator('[data-k="weight"]').fill("40")
    page.get_by_role("button", name="Preview change…").click()
    expect(page.locator("[data-conflict]")).to_be_visible()
    expect(page.locator("[data-their-yaml]")).to_contain_text("weight: 35")
    screenshot(page, "edit-conflict")
    page.get_by_role("button", name="Re-apply my change on top of theirs").click()
    expect(page.locator("[data-verdict]")).to_have_text(ACCEPTED)
    expect(page.locator("[data-diff]")).to_contain_text(re.compile(r"^-.*weight: 35$", re.MULTILINE))
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("[data-applied]")).to_contain_text("Applied")
    live = world.live(SPLIT_V4, "TrafficSplit", "bookstore-canary", "bookstore")
    assert [(b["service"], b["weight"]) for b in live["spec"]["backends"]] == [("bookstore-v1", 60),
                                                                             ("bookstore-v2", 40)]


def test_every_kind_has_an_edit_form_and_a_udp_route_is_created_with_its_ports(world, new_page):
    make_user("pat", Role.POLICY_EDITOR)
    page = new_page()
    log_in(page, "pat")
    for namespace, plural, name in (("storefront", "trafficsplits", "catalog-ab-test"),
                                    ("storefront", "traffictargets", "checkout-to-payments"),
                                    ("bookstore", "httproutegroups", "bookstore-service-routes"),
                                    ("bookstore", "tcproutes", "mysql-tcp")):
        page.goto(objects_url(world, namespace, plural, name, "edit/"))
        expect(page.locator("[data-editor-form]")).to_be_visible()
        screenshot(page, f"edit-form-{plural[:-1]}")
    page.goto(f"/clusters/{world.cluster.name}/new/udproutes/?namespace=bookstore")
    page.get_by_label("Name", exact=True).first.fill("dns-udp")
    for port in ("53", "5353"):
        page.get_by_role("button", name="Add port").click()
        page.locator('[data-row="port"] [data-k="port"]').last.fill(port)
    screenshot(page, "edit-form-udproute")
    page.get_by_role("button", name="Preview change…").click()
    expect(page.locator("[data-verdict]")).to_have_text(ACCEPTED)
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("[data-applied]")).to_contain_text("Created")
    assert world.live(HRG_V4, "UDPRoute", "dns-udp", "bookstore")["spec"] == {"matches": {"ports": [53, 5353]}}


def test_deleting_asks_for_the_name_and_removes_the_object(world, new_page):
    make_user("pat", Role.POLICY_EDITOR)
    page = new_page()
    log_in(page, "pat")
    page.goto(objects_url(world, "bookstore", "tcproutes", "mysql-tcp", "edit/"))
    page.get_by_role("button", name="Delete…").click()
    expect(page.locator("[data-delete-verdict]")).to_have_text("Dry run: the cluster accepts the deletion.")
    confirm = page.get_by_role("button", name="Delete permanently")
    expect(confirm).to_be_disabled()
    page.get_by_label("Type mysql-tcp to confirm").fill("mysql")
    expect(confirm).to_be_disabled()
    assert world.live(HRG_V4, "TCPRoute", "mysql-tcp", "bookstore") is not None
    page.get_by_label("Type mysql-tcp to confirm").fill("mysql-tcp")
    screenshot(page, "edit-delete-confirmation")
    confirm.click()
    expect(page.locator("[data-applied]")).to_contain_text("Deleted: TCPRoute bookstore/mysql-tcp")
    assert world.live(HRG_V4, "TCPRoute", "mysql-tcp", "bookstore") is None


def test_a_viewer_sees_no_edit_links_and_forged_writes_are_refused(world, new_page):
    make_user("vic", Role.VIEWER)
    page = new_page()
    log_in(page, "vic")
    page.goto(f"/clusters/{world.cluster.name}/objects/?namespace=bookstore")
    expect(page.get_by_test_id("object-list")).to_contain_text("bookbuyer-to-bookstore")
    expect(page.locator("[data-edit-link], [data-testid=create-links]")).to_have_count(0)
    page.goto(objects_url(world, "bookstore", "traffictargets", "bookbuyer-to-bookstore"))
    expect(page.get_by_test_id("yaml")).to_be_visible()
    expect(page.locator("[data-testid^=edit-], a[href$='/edit/'], a[href$='/yaml/']")).to_have_count(0)
    screenshot(page, "object-detail-read-only")
    response = page.goto(objects_url(world, "bookstore", "traffictargets", "bookbuyer-to-bookstore", "edit/"))
    assert response.status == 403
    page.goto(objects_url(world, "bookstore", "traffictargets", "bookbuyer-to-bookstore"))
    before = world.live(TT_V3, "TrafficTarget", "bookbuyer-to-bookstore", "bookstore")
    statuses = page.evaluate("""async ([cluster, objectUrl, rv]) => {
        const csrf = document.querySelector('meta[name="csrf-token"]').content;
        const headers = {'Content-Type': 'application/json', 'X-CSRFToken': csrf};
        const manifest = {apiVersion: 'specs.smi-spec.io/v1alpha4', kind: 'TCPRoute',
                          metadata: {name: 'forged', namespace: 'bookstore'}, spec: {matches: {ports: [22]}}};
        const create = await fetch('/api/objects/', {method: 'POST', credentials: 'same-origin', headers,
            body: JSON.stringify({cluster, manifest})});
        const update = await fetch(objectUrl, {method: 'PUT', credentials: 'same-origin', headers,
            body: JSON.stringify({base_resource_version: rv, yaml: 'kind: TrafficTarget'})});
        const remove = await fetch(objectUrl + '?resource_version=' + rv, {method: 'DELETE',
            credentials: 'same-origin', headers});
        const noCsrf = await fetch('/api/objects/', {method: 'POST', credentials: 'same-origin',
            headers: {'Content-Type': 'application/json'}, body: JSON.stringify({cluster, manifest})});
        return [create.status, update.status, remove.status, noCsrf.status]; }""",
        [world.cluster.name, f"/api/objects/{world.cluster.name}/bookstore/traffictargets/bookbuyer-to-bookstore/",
         before["metadata"]["resourceVersion"]])
    assert statuses == [403, 403, 403, 403]
    assert world.writes() == []
    assert world.live(TT_V3, "TrafficTarget", "bookbuyer-to-bookstore", "bookstore") == before


def test_the_audit_page_filters_by_user_and_outcome_and_exports_them_as_csv(world, new_page):
    editor = make_user("pat", Role.POLICY_EDITOR)
    operator = make_user("olivia", Role.OPERATOR)
    make_user("audrey", Role.AUDITOR)
    route = {"apiVersion": HRG_V4, "kind": "HTTPRouteGroup", "metadata": {"namespace": "bookstore"},
             "spec": {"matches": [{"name": "all", "pathRegex": ".*"}]}}
    pat = token_client(editor)
    good = pat.post("/api/objects/", {"cluster": world.cluster.name,
                                      "manifest": {**route, "metadata": {**route["metadata"], "name": "ok-routes"}}},
                    format="json")
    assert good.status_code == 201
    for bad_name in ("Bad_One", "Bad_Two"):
        bad = pat.post("/api/objects/", {"cluster": world.cluster.name,
                                         "manifest": {**route, "metadata": {**route["metadata"], "name": bad_name}}},
                       format="json")
        assert bad.status_code == 400
    weights = token_client(operator).post(
        f"/api/objects/{world.cluster.name}/bookstore/trafficsplits/bookstore-canary/weights/",
        {"base_resource_version": "1", "weights": {"bookstore-v2": 30}}, format="json")
    assert weights.status_code == 409  # a stale base: rejected as a conflict, audited all the same
    page = new_page()
    log_in(page, "audrey")
    page.get_by_role("link", name="Audit log").click()
    expect(page.get_by_test_id("chain-status")).to_contain_text("Hash chain verified: 4 entries")
    expect(page.locator("[data-testid=audit-table] tbody tr")).to_have_count(4)
    page.get_by_label("User").fill("pat")
    page.get_by_label("Outcome").select_option("rejected")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_test_id("audit-count")).to_contain_text("2 entries match these filters")
    assert "actor=pat" in page.url and "outcome=rejected" in page.url
    table = page.get_by_test_id("audit-table")
    expect(table.locator("tbody tr")).to_have_count(2)
    expect(table.locator('tbody tr[data-actor="pat"][data-outcome="rejected"]')).to_have_count(2)
    screenshot(page, "audit-filtered")
    with page.expect_download() as download_info:
        page.get_by_test_id("export-csv").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".csv")
    exported = list(csv.DictReader(io.StringIO(open(download.path(), encoding="utf-8").read())))
    assert [(r["actor"], r["outcome"], r["action"], r["name"]) for r in exported] == [
        ("pat", "rejected", "create", "Bad_One"), ("pat", "rejected", "create", "Bad_Two")]
    with page.expect_download() as download_info:
        page.get_by_test_id("export-jsonl").click()
    lines = open(download_info.value.path(), encoding="utf-8").read().splitlines()
    assert [json.loads(line)["name"] for line in lines] == ["Bad_One", "Bad_Two"]
    page.goto("/audit/?actor=olivia")  # deep link
    expect(page.locator("[data-testid=audit-table] tbody tr")).to_have_count(1)
    expect(page.get_by_test_id("audit-table")).to_contain_text("conflict")
    page.goto("/audit/")
    screenshot(page, "audit-page")


def test_reference_fields_suggest_existing_names_and_warn_about_missing_ones(world, new_page):
    make_user("pat", Role.POLICY_EDITOR)
    page = new_page()
    problems = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    log_in(page, "pat")
    with page.expect_response(lambda response: response.url.endswith("/references.json")) as checked:
        page.goto(objects_url(world, "bookstore", "trafficsplits", "bookstore-canary", "edit/"))
    assert checked.value.json() == {"warnings": []}
    backend = row(page, "backend", 1).locator('[data-k="service"]')
    offered = backend.evaluate("input => [...input.list.options].map(option => option.value)")
    assert {"bookstore-v1", "bookstore-v2", "bookstore"} <= set(offered)  # the browser's own suggestion list
    assert page.locator("[data-ref-warning]").count() == 0
    backend.fill("bookstore-v9")
    warning = row(page, "backend", 1).locator('[data-ref-warning="spec.backends[1].service"]')
    expect(warning).to_have_text("⚠ no Service bookstore-v9 in bookstore")
    expect(backend).to_have_attribute("aria-describedby", warning.get_attribute("id"))
    screenshot(page, "edit-form-missing-reference")
    page.get_by_role("button", name="Preview change…").click()  # a warning does not block the preview
    expect(page.locator("[data-verdict]")).to_have_text(ACCEPTED)
    expect(warning).to_be_visible()
    backend.fill("bookstore-v2")
    expect(page.locator("[data-ref-warning]")).to_have_count(0)
    assert world.real_writes() == []

    page.goto(objects_url(world, "storefront", "traffictargets", "frontend-to-checkout", "edit/"))
    planted = row(page, "rule", 0).locator('[data-ref-warning="spec.rules[0].name"]')
    expect(planted).to_have_text("⚠ no HTTPRouteGroup checkout-routes in storefront")
    screenshot(page, "edit-form-planted-mistake")
    assert problems == []
