"""The topology with live traffic, in Chromium against the full ASGI app and a sandbox simulating the demo mesh.

Traffic comes from the sandbox's simulator through the SMI metrics API, the pollers and the
namespace websockets; the page must draw it on the existing graph without moving anything.
"""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlparse

import pytest

from smi_ui.accounts.roles import Role
from smi_ui.inventory.models import KubeObject
from tests.browser.conftest import log_in, screenshot, sync_api
from tests.edit_support import make_user
from tests.metrics.conftest import traffic_world  # noqa: F401 - fixture

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow, pytest.mark.usefixtures("fast_polling")]
expect = sync_api.expect

CANARY = "traffic:svc:bookstore/bookbuyer->svc:bookstore/bookstore-v2"
STABLE = "traffic:svc:bookstore/bookbuyer->svc:bookstore/bookstore-v1"
THIEF = "traffic:svc:bookstore/bookthief->svc:bookstore/bookstore-v1"
BROKEN_RULE = "traffic:svc:storefront/frontend->svc:storefront/checkout"

EDGE = """id => { const e = smiTopology.cy.getElementById(id);
    return e.empty() ? null : {...e.data(), width: e.style('width'), arrow: e.style('target-arrow-shape'),
                               color: e.style('line-color'), line: e.style('line-style')}; }"""
POSITIONS = """() => Object.fromEntries(smiTopology.cy.nodes().map(n => [n.id(), n.position()]))"""


def edge(page, edge_id: str) -> dict | None:
    return page.evaluate(EDGE, edge_id)


def wait_for_label(page, edge_id: str, text: str) -> None:
    page.wait_for_function("([id, text]) => { const e = smiTopology.cy.getElementById(id);"
                           " return e.nonempty() && e.data('label').includes(text); }", arg=[edge_id, text])


def test_live_traffic_labels_change_in_place_and_denied_traffic_stands_out(traffic_world, new_page,  # noqa: F811
                                                                           asgi_server):
    make_user("ada", Role.VIEWER)
    page = new_page(base_url=asgi_server)
    log_in(page, "ada")
    page.goto(f"/clusters/{traffic_world.cluster.name}/topology/")
    page.wait_for_selector('[data-topology][data-ready="true"]')
    expect(page.get_by_test_id("live-status")).to_have_text("live")
    expect(page.get_by_test_id("live-missing")).to_be_hidden()

    # bookbuyer sends 20 rps through the 80/20 split: 4 rps reach the slower, flakier canary
    wait_for_label(page, CANARY, "4 rps")
    canary = edge(page, CANARY)
    assert canary["label"] == "4 rps · 95 % · p99 300 ms" and canary["health"] == "degraded"
    stable = edge(page, STABLE)
    assert stable["label"].startswith("16 rps · 99.5 %") and stable["health"] == "ok" and not stable["denied"]
    page.evaluate("id => smiTopology.cy.getElementById(id).scratch('probe', 'kept')", CANARY)
    before = page.evaluate(POSITIONS)
    changes_before = page.evaluate("() => smiTopology.live.changes")

    # moving the weight in the cluster moves the observed rate at the next refresh
    traffic_world.handle.kubectl("patch", "trafficsplits.split.smi-spec.io", "bookstore-canary", "-n", "bookstore",
                                 "--type=json", "-p", json.dumps([{"op": "replace", "path": "/spec/backends/1/weight",
                                                                   "value": 80}]), check=True)
    wait_for_label(page, CANARY, "10 rps")
    wait_for_label(page, STABLE, "10 rps")
    assert page.evaluate("id => smiTopology.cy.getElementById(id).scratch('probe')", CANARY) == "kept"  # same element
    assert page.evaluate(POSITIONS) == before  # no re-layout, nothing moved
    assert page.evaluate("() => smiTopology.live.changes") > changes_before

    # the thief's calls are observed although no TrafficTarget lets it in: highlighted as denied
    thief = edge(page, THIEF)
    assert thief["denied"] is True and thief["health"] == "denied"
    assert thief["arrow"] == "tee" and thief["width"] == "7px"
    assert thief["color"] != edge(page, STABLE)["color"]
    # frontend -> checkout is only "allowed" by a rule naming a missing route: that allows nothing either
    assert edge(page, BROKEN_RULE)["denied"] is True
    summary = page.locator("[data-denied-summary]")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("bookstore/bookthief → bookstore/bookstore-v1")
    expect(page.get_by_test_id("traffic-list")).to_contain_text(
        "bookstore/bookthief → bookstore/bookstore-v1: 2 rps, 0 % success")
    # policy edges stay distinguishable from observed traffic between the same services
    allowed = edge(page, "allow:bookstore/bookbuyer->bookstore/bookstore-v1")
    assert (allowed["type"], allowed["line"], edge(page, STABLE)["line"]) == ("allowed", "dashed", "solid")
    screenshot(page, "topology-live")


def test_with_access_control_off_failing_traffic_is_not_called_denied(traffic_world, new_page,  # noqa: F811
                                                                      asgi_server, settings):
    settings.SMI_ACCESS_CONTROL = {traffic_world.cluster.name: False}
    make_user("ada", Role.VIEWER)
    page = new_page(base_url=asgi_server)
    log_in(page, "ada")
    page.goto(f"/clusters/{traffic_world.cluster.name}/topology/?namespace=bookstore")
    expect(page.get_by_test_id("access-mode")).to_contain_text("off (permissive)")
    wait_for_label(page, THIEF, "rps")
    thief = edge(page, THIEF)
    assert thief["denied"] is False and thief["health"] == "failing"  # the sandbox still fails them: red, no tee
    assert thief["arrow"] == "triangle"
    expect(page.locator("[data-denied-summary]")).to_be_hidden()


def test_large_views_collapse_namespaces_that_expand_by_keyboard_and_filters_deep_link(world, new_page, settings):
    settings.TOPOLOGY_COLLAPSE_ABOVE = 5  # the demo's Services count as large
    make_user("ada", Role.VIEWER)
    page = new_page()
    log_in(page, "ada")
    page.goto(f"/clusters/{world.cluster.name}/topology/?hide=allowed&health=failing&q=book&layout=grid")
    page.wait_for_selector('[data-topology][data-ready="true"]')
    services = KubeObject.objects.filter(cluster=world.cluster, kind="Service")
    namespaces = sorted({f"ns:{ns}" for ns in services.values_list("namespace", flat=True)})
    expect(page.get_by_test_id("aggregated")).to_contain_text(f"{services.count()} services")
    # the deep link restored every filter
    assert not page.is_checked('[data-show="allowed"]') and page.is_checked('[data-show="split"]')
    assert page.input_value("[data-health]") == "failing" and page.input_value("[data-search]") == "book"
    assert page.input_value("[data-layout]") == "grid"
    graph = page.evaluate("""() => ({
        services: smiTopology.cy.nodes('[type = "service"]').length,
        collapsed: smiTopology.cy.nodes('[?collapsed]').map(n => n.id()).sort(),
        hiddenAllowed: smiTopology.cy.edges('[type = "allowed"]').every(e => e.hasClass('hidden')),
        matched: smiTopology.cy.nodes('.match').map(n => n.id())})""")
    assert graph["services"] == 0 and graph["collapsed"] == namespaces and "ns:storefront" in namespaces
    assert graph["hiddenAllowed"] and graph["matched"] == ["ns:bookstore"]
    storefront = page.evaluate("() => smiTopology.cy.getElementById('ns:storefront').position()")

    # keyboard: focus the graph, move to the first namespace, Enter expands it in place
    page.focus("[data-topology]")
    page.keyboard.press("ArrowRight")
    expect(page.locator("[data-topology-focus]")).to_contain_text(
        f"namespace with {services.filter(namespace='bookstore').count()} services")
    page.keyboard.press("Enter")
    page.wait_for_function("() => smiTopology.cy.getElementById('svc:bookstore/bookbuyer').nonempty()")
    assert parse_qs(urlparse(page.url).query)["expand"] == ["bookstore"]
    assert parse_qs(urlparse(page.url).query)["health"] == ["failing"]
    assert page.evaluate("() => smiTopology.cy.getElementById('ns:storefront').data('collapsed')") is True
    assert page.evaluate("() => smiTopology.cy.getElementById('ns:storefront').position()") == storefront

    # changing a filter rewrites the deep link; the next service opens with Enter
    page.check('[data-show="allowed"]')
    assert "hide" not in parse_qs(urlparse(page.url).query)
    page.focus("[data-topology]")
    page.keyboard.press("ArrowRight")
    expect(page.locator("[data-topology-focus]")).to_contain_text("bookbuyer: Service in bookstore")
    page.keyboard.press("Enter")
    page.wait_for_url("**/objects/bookstore/services/bookbuyer/")

    # a reload of the deep link shows the same expanded view
    page.go_back()
    page.wait_for_selector('[data-topology][data-ready="true"]')
    assert page.evaluate("() => smiTopology.cy.getElementById('svc:bookstore/bookbuyer').nonempty()")
    # and the list under the graph collapses it again
    page.get_by_test_id("topology-list").locator('[data-collapse="bookstore"]').click()
    page.wait_for_function("() => smiTopology.cy.getElementById('svc:bookstore/bookbuyer').empty()"
                           " && smiTopology.cy.getElementById('ns:bookstore').data('collapsed')")
    assert "expand" not in parse_qs(urlparse(page.url).query)
    expect(page.get_by_test_id("topology-list").locator('[data-expand="bookstore"]')).to_be_visible()

    # choosing a namespace reloads the page for it and keeps the other filters
    page.select_option("[data-namespace]", "storefront")
    page.wait_for_url("**namespace=storefront**")
    page.wait_for_selector('[data-topology][data-ready="true"]')
    query = parse_qs(urlparse(page.url).query)
    assert (query["namespace"], query["health"], query["q"]) == (["storefront"], ["failing"], ["book"])
    assert page.input_value("[data-health]") == "failing"
    assert page.evaluate("() => smiTopology.cy.getElementById('svc:storefront/frontend').nonempty()")
