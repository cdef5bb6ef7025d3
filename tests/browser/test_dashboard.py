"""The dashboard in real Chromium: what users see and do, end to end against a sandbox cluster."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest

from smi_ui.accounts.roles import Role
from smi_ui.sandbox.demo import demo_objects
from tests.browser.conftest import log_in, screenshot, sync_api
from tests.edit_support import SPLIT_V4, make_user, token_client

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]
expect = sync_api.expect

SPLIT_PAGE = "/clusters/{cluster}/objects/bookstore/trafficsplits/bookstore-canary/weights/"


def live_weights(world) -> dict[str, int]:
    split = world.live(SPLIT_V4, "TrafficSplit", "bookstore-canary", "bookstore")
    return {b["service"]: b["weight"] for b in split["spec"]["backends"]}


def drag_slider(page, backend: str, fraction: float) -> None:
    """Drag the backend's range input with the mouse to `fraction` of its width."""
    box = page.locator(f'[data-backend="{backend}"] [data-weight-slider]').bounding_box()
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] * 0.5, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * fraction, y, steps=8)
    page.mouse.up()


def form_weights(page) -> dict[str, int]:
    return page.evaluate("""() => Object.fromEntries([...document.querySelectorAll('[data-backend]')]
        .map(row => [row.dataset.backend, Number(row.querySelector('[data-weight-input]').value)]))""")


def test_login_leads_to_the_overview_with_the_demo_cluster_and_its_findings(world, new_page):
    make_user("ada", Role.VIEWER)
    page = new_page()
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login/\?next=/$"))  # anonymous visitors are sent to log in
    screenshot(page, "login")
    log_in(page, "ada")
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()
    expect(page.get_by_test_id("findings-summary")).to_contain_text("1 error")
    screenshot(page, "overview")


def test_topology_draws_every_demo_service_and_both_splits(world, new_page):
    make_user("ada", Role.VIEWER)
    page = new_page()
    log_in(page, "ada")
    page.goto(f"/clusters/{world.cluster.name}/topology/")
    page.wait_for_selector('[data-topology][data-ready="true"]')
    counts = page.evaluate("""() => ({
        services: smiTopology.cy.nodes('[type = "service"]').map(n => n.id()),
        splitEdges: smiTopology.cy.edges('[type = "split"]').length,
        broken: smiTopology.cy.edges('[type = "broken"]').map(e => e.id()),
        labels: smiTopology.cy.edges('[type = "split"]').map(e => e.data('label')).sort()})""")
    demo_services = {f"svc:{o['metadata']['namespace']}/{o['metadata']['name']}" for o in demo_objects()
                     if o["kind"] == "Service"}
    assert len(demo_services) == 12 and demo_services <= set(counts["services"])
    assert counts["splitEdges"] == 4
    assert counts["labels"] == ["20 %", "50 %", "50 %", "80 %"]
    assert counts["broken"] == ["allow:storefront/frontend->storefront/checkout"]
    expect(page.get_by_test_id("live-missing")).to_be_visible()
    # a refresh applies deltas in place: existing nodes keep their positions
    before = page.evaluate("() => smiTopology.cy.getElementById('svc:bookstore/mysql').position()")
    page.click("[data-refresh]")
    page.wait_for_function("() => smiTopology.cy.nodes().length > 0")
    after = page.evaluate("() => smiTopology.cy.getElementById('svc:bookstore/mysql').position()")
    assert before == after
    screenshot(page, "topology")


def test_drag_preview_apply_writes_the_new_weights_to_the_cluster(world, new_page):
    make_user("olivia", Role.OPERATOR)
    page = new_page()
    log_in(page, "olivia")
    page.goto(SPLIT_PAGE.format(cluster=world.cluster.name))
    drag_slider(page, "bookstore-v2", 0.9)
    wanted = form_weights(page)
    assert wanted["bookstore-v2"] > 20
    total = sum(wanted.values())
    expect(page.locator('[data-backend="bookstore-v2"] [data-share]')).to_have_text(
        f"{round(wanted['bookstore-v2'] / total * 100, 2):g} %")
    page.click('[data-action="preview"]')
    expect(page.locator("[data-verdict]")).to_have_text("Dry run: the cluster accepts this change.")
    expect(page.locator("[data-diff]")).to_contain_text(
        re.compile(rf"^\+.*weight: {wanted['bookstore-v2']}$", re.MULTILINE))
    assert live_weights(world) == {"bookstore-v1": 80, "bookstore-v2": 20}  # preview wrote nothing
    screenshot(page, "traffic-split-preview")
    page.click('[data-action="apply"]')
    expect(page.locator("[data-applied]")).to_contain_text("Applied")
    assert live_weights(world) == wanted


def test_a_kubectl_change_meanwhile_shows_the_conflict_and_reapply_goes_on_top(world, new_page):
    make_user("olivia", Role.OPERATOR)
    page = new_page()
    log_in(page, "olivia")
    page.goto(SPLIT_PAGE.format(cluster=world.cluster.name))
    world.handle.kubectl("patch", "trafficsplits.split.smi-spec.io", "bookstore-canary", "-n", "bookstore",
                         "--type=json", "-p", json.dumps([{"op": "replace", "path": "/spec/backends/1/weight",
                                                            "value": 35}]), check=True)
    page.click('[data-action="even"]')
    page.click('[data-action="preview"]')
    conflict = page.locator("[data-conflict]")
    expect(conflict).to_be_visible()
    expect(page.locator("[data-their-weights]")).to_contain_text("bookstore-v2: 35")
    screenshot(page, "traffic-split-conflict")
    page.click('[data-action="reapply"]')
    expect(page.locator("[data-verdict]")).to_have_text("Dry run: the cluster accepts this change.")
    page.click('[data-action="apply"]')
    expect(page.locator("[data-applied]")).to_contain_text("Applied")
    assert live_weights(world) == {"bookstore-v1": 50, "bookstore-v2": 50}


def test_a_viewer_gets_no_edit_controls_and_a_forged_post_is_refused(world, new_page):
    make_user("vic", Role.VIEWER)
    page = new_page()
    log_in(page, "vic")
    page.goto(SPLIT_PAGE.format(cluster=world.cluster.name))
    expect(page.get_by_test_id("read-only-reason")).to_contain_text("your role does not allow")
    assert page.locator("[data-weight-slider], [data-action], [data-weight-input]").count() == 0
    status = page.evaluate("""async (url) => {
        const csrf = document.querySelector('meta[name="csrf-token"]').content;
        const r = await fetch(url, {method: 'POST', credentials: 'same-origin',
            headers: {'Content-Type': 'application/json', 'X-CSRFToken': csrf},
            body: JSON.stringify({base_resource_version: '1', weights: {'bookstore-v2': 100}})});
        return r.status; }""", f"/api/objects/{world.cluster.name}/bookstore/trafficsplits/bookstore-canary/weights/")
    assert status == 403
    assert live_weights(world) == {"bookstore-v1": 80, "bookstore-v2": 20}
    screenshot(page, "traffic-split-read-only")


def test_the_access_matrix_shows_the_planted_mistake_and_csv_exports_parse(world, new_page):
    make_user("audrey", Role.AUDITOR)
    page = new_page()
    log_in(page, "audrey")
    page.goto(f"/clusters/{world.cluster.name}/policy/")
    finding = page.locator('tr.finding[data-code="missing-route"]')
    expect(finding).to_contain_text("frontend-to-checkout")
    expect(finding).to_contain_text("checkout-routes")
    matrix = page.get_by_test_id("access-matrix")
    expect(matrix).to_contain_text("GET,HEAD /products(/.*)?")
    expect(matrix.locator(".route-missing")).to_contain_text("checkout-routes")
    screenshot(page, "access-policy")
    for link, key, expected in (("export-findings", "traffic_target", "frontend-to-checkout"),
                                ("export-access", "destination", "payments")):
        with page.expect_download() as download_info:
            page.get_by_test_id(link).click()
        rows = list(csv.DictReader(io.StringIO(open(download_info.value.path(), encoding="utf-8").read())))
        assert expected in {row[key] for row in rows}
    page.goto(f"/clusters/{world.cluster.name}/policy/?identity=storefront/payments")
    expect(page.get_by_test_id("identity-view")).to_contain_text("bookstore/bookstore")
    screenshot(page, "access-who-can-reach")
    page.goto(f"/clusters/{world.cluster.name}/policy/report/")
    expect(page.locator("tr.finding")).to_have_count(1)
    screenshot(page, "access-report")


def test_history_and_audit_show_who_changed_the_split(world, new_page):
    operator = make_user("olivia", Role.OPERATOR)
    make_user("audrey", Role.AUDITOR)
    base = world.live(SPLIT_V4, "TrafficSplit", "bookstore-canary", "bookstore")["metadata"]["resourceVersion"]
    response = token_client(operator).post(
        f"/api/objects/{world.cluster.name}/bookstore/trafficsplits/bookstore-canary/weights/",
        {"base_resource_version": base, "weights": {"bookstore-v2": 40}}, format="json")
    assert response.status_code == 200
    page = new_page()
    log_in(page, "audrey")
    page.goto(f"/clusters/{world.cluster.name}/objects/?namespace=bookstore")
    expect(page.get_by_test_id("object-list")).to_contain_text("bookstore-canary")
    screenshot(page, "objects")
    page.get_by_role("link", name="bookstore-canary").click()
    expect(page.locator("ol.timeline")).to_contain_text("olivia")
    screenshot(page, "object-history")
    page.get_by_role("link", name="Audit log").click()
    expect(page.get_by_test_id("chain-status")).to_contain_text("Hash chain verified")
    expect(page.get_by_test_id("audit-table")).to_contain_text("set weights bookstore-v2=40")
    page.select_option('select[name="outcome"]', "conflict")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_text("No audit entries match these filters.")).to_be_visible()
    assert "outcome=conflict" in page.url
    page.goto("/audit/")
    screenshot(page, "audit-log")


def test_a_policy_editor_reverts_the_split_from_its_history(world, new_page):
    editor = make_user("pat", Role.POLICY_EDITOR)
    base = world.live(SPLIT_V4, "TrafficSplit", "bookstore-canary", "bookstore")["metadata"]["resourceVersion"]
    response = token_client(editor).post(
        f"/api/objects/{world.cluster.name}/bookstore/trafficsplits/bookstore-canary/weights/",
        {"base_resource_version": base, "weights": {"bookstore-v2": 60}}, format="json")
    assert response.status_code == 200
    page = new_page()
    log_in(page, "pat")
    page.goto(f"/clusters/{world.cluster.name}/objects/bookstore/trafficsplits/bookstore-canary/")
    page.get_by_role("button", name="Revert to this version…").click()
    expect(page.locator("[data-revert-verdict]")).to_have_text("Dry run: the cluster accepts this revert.")
    expect(page.locator("[data-revert-diff]")).to_contain_text(re.compile(r"^\+.*weight: 20$", re.MULTILINE))
    assert live_weights(world) == {"bookstore-v1": 80, "bookstore-v2": 60}
    page.get_by_role("button", name="Apply revert").click()
    expect(page.locator("[data-revert-verdict]")).to_contain_text("Reverted")
    assert live_weights(world) == {"bookstore-v1": 80, "bookstore-v2": 20}


def test_the_overview_refreshes_itself_with_new_changes(world, new_page):
    from smi_ui.clusters.models import Cluster, SyncState

    Cluster.objects.filter(pk=world.cluster.pk).update(state=SyncState.SYNCING)  # refreshes every 2 s meanwhile
    make_user("ada", Role.VIEWER)
    robot = make_user("robot", Role.OPERATOR)
    page = new_page()
    log_in(page, "ada")
    page.evaluate("() => { window.notReloaded = true; }")
    base = world.live(SPLIT_V4, "TrafficSplit", "bookstore-canary", "bookstore")["metadata"]["resourceVersion"]
    response = token_client(robot).post(
        f"/api/objects/{world.cluster.name}/bookstore/trafficsplits/bookstore-canary/weights/",
        {"base_resource_version": base, "weights": {"bookstore-v2": 30}}, format="json")
    assert response.status_code == 200
    Cluster.objects.filter(pk=world.cluster.pk).update(state=SyncState.CONNECTED)
    live = page.get_by_test_id("overview-live")
    expect(live).to_contain_text("TrafficSplit bookstore/bookstore-canary", timeout=20_000)
    expect(live).to_contain_text("robot")
    expect(live.locator(".state")).to_have_text("connected")
    assert page.evaluate("() => window.notReloaded") is True  # updated in place, not reloaded
