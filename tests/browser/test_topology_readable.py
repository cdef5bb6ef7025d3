"""The topology reads well with live traffic: no edge label covers a node name, nothing is cut off, no idle canvas.

Measured in Chromium through Cytoscape's own geometry (rendered bounding boxes of labels and
elements), for all namespaces and for one, once the demo mesh's traffic is drawn.
"""

from __future__ import annotations

import pytest

from smi_ui.accounts.roles import Role
from tests.browser.conftest import log_in, screenshot, sync_api
from tests.edit_support import make_user
from tests.metrics.conftest import traffic_world  # noqa: F401 - fixture

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow, pytest.mark.usefixtures("fast_polling")]
expect = sync_api.expect

CANARY = "traffic:svc:bookstore/bookbuyer->svc:bookstore/bookstore-v2"
THIEF = "traffic:svc:bookstore/bookthief->svc:bookstore/bookstore-v1"
BROKEN_RULE = "traffic:svc:storefront/frontend->svc:storefront/checkout"

# Rendered (canvas pixel) boxes: node labels, the labels edges show at rest, and everything drawn.
GEOMETRY = """() => {
  const cy = smiTopology.cy;
  const only = {includeNodes: false, includeEdges: false, includeLabels: true};
  const box = (b) => ({x1: b.x1, y1: b.y1, x2: b.x2, y2: b.y2});
  return {
    width: cy.width(), height: cy.height(),
    nodes: cy.nodes(':visible').filter(n => n.style('label')).map(n => ({id: n.id(),
                                                                        ...box(n.renderedBoundingBox(only))})),
    edges: cy.edges(':visible').filter(e => e.style('label')).map(e => ({id: e.id(), text: e.style('label'),
                                                                        ...box(e.renderedBoundingBox(only))})),
    drawn: box(cy.elements(':visible').renderedBoundingBox({includeLabels: true})),
  };
}"""


def overlaps(a: dict, b: dict) -> bool:
    return a["x1"] < b["x2"] and b["x1"] < a["x2"] and a["y1"] < b["y2"] and b["y1"] < a["y2"]


def assert_readable(page) -> dict:
    """Every rule of a readable graph, on what is drawn now; returns the figures measured."""
    g = page.evaluate(GEOMETRY)
    assert g["nodes"] and g["edges"], g
    covered = [(e["id"], e["text"], n["id"]) for e in g["edges"] for n in g["nodes"] if overlaps(e, n)]
    assert covered == []  # no edge label sits on a node name
    cut = [n["id"] for n in g["nodes"]
           if n["x1"] < 0 or n["y1"] < 0 or n["x2"] > g["width"] or n["y2"] > g["height"]]
    assert cut == []  # every node name is inside the canvas
    drawn = g["drawn"]
    wide, high = (drawn["x2"] - drawn["x1"]) / g["width"], (drawn["y2"] - drawn["y1"]) / g["height"]
    assert max(wide, high) >= 0.8 and wide * high >= 0.6, (wide, high)
    return {"wide": round(wide, 2), "high": round(high, 2), "edge_labels": len(g["edges"]), "nodes": len(g["nodes"])}


def open_topology(page, cluster: str, query: str = "") -> None:
    page.goto(f"/clusters/{cluster}/topology/{query}")
    page.wait_for_selector('[data-topology][data-ready="true"]')
    expect(page.get_by_test_id("live-status")).to_have_text("live")


def wait_for_edges(page, *ids: str) -> None:
    page.wait_for_function("ids => ids.every(id => smiTopology.cy.getElementById(id).nonempty())", arg=list(ids))


def test_labels_never_cover_node_names_and_the_graph_fills_its_canvas(traffic_world, new_page,  # noqa: F811
                                                                       asgi_server):
    make_user("ada", Role.VIEWER)
    page = new_page(base_url=asgi_server)
    log_in(page, "ada")
    cluster = traffic_world.cluster.name

    open_topology(page, cluster)
    wait_for_edges(page, CANARY, THIEF, BROKEN_RULE)
    everything = assert_readable(page)
    # at rest, denied traffic and the broken rule say so with a short marker; other figures wait for a pointer
    markers = page.evaluate("""() => smiTopology.cy.edges(':visible').filter(e => e.style('label'))
        .map(e => [e.data('denied') ? 'denied' : e.data('type'), e.style('label')])""")
    assert sorted({tuple(m) for m in markers}) == [("broken", "✕"), ("denied", "⊘")]
    assert page.evaluate("id => smiTopology.cy.getElementById(id).data('denied')", THIEF) is True

    # pointing at an edge shows its figures along it and in words above the graph
    point = page.evaluate("""id => { const e = smiTopology.cy.getElementById(id), m = e.renderedMidpoint();
        const r = smiTopology.cy.container().getBoundingClientRect(); return {x: r.left + m.x, y: r.top + m.y}; }""",
                          CANARY)
    page.mouse.move(point["x"], point["y"])
    page.wait_for_function("id => smiTopology.cy.getElementById(id).style('label').includes('rps')", arg=CANARY)
    label = page.evaluate("id => smiTopology.cy.getElementById(id).style('label')", CANARY)
    assert label == page.evaluate("id => smiTopology.cy.getElementById(id).data('label')", CANARY)
    expect(page.get_by_test_id("topology-hover")).to_contain_text(
        f"bookbuyer → bookstore-v2 · observed traffic: {label}")
    assert page.evaluate("id => smiTopology.cy.getElementById(id).style('text-rotation')", CANARY) == "autorotate"
    screenshot(page, "topology-hover")
    page.mouse.move(2, 2)
    page.wait_for_function("id => smiTopology.cy.getElementById(id).style('label') === ''", arg=CANARY)
    expect(page.get_by_test_id("topology-hover")).to_have_text("")

    # selecting a service with the keyboard shows the figures of its edges
    page.focus("[data-topology]")
    for _ in range(20):
        page.keyboard.press("ArrowRight")
        if page.evaluate("() => smiTopology.cy.nodes(':selected').id()") == "svc:bookstore/bookbuyer":
            break
    revealed = page.evaluate("""() => smiTopology.cy.nodes(':selected').connectedEdges('[type = "traffic"]')
        .map(e => e.style('label'))""")
    assert revealed and all("rps" in text for text in revealed)
    # and "e" focuses its edges one by one, reading out the figures of the one in focus
    for _ in range(10):
        page.keyboard.press("e")
        if page.evaluate("() => smiTopology.cy.edges(':selected').id()") == CANARY:
            break
    expect(page.locator("[data-topology-focus]")).to_have_text(
        f"bookbuyer → bookstore-v2 · observed traffic: {label}")
    assert page.evaluate("id => smiTopology.cy.getElementById(id).style('label')", CANARY) == label
    page.keyboard.press("Escape")
    page.wait_for_function("id => smiTopology.cy.getElementById(id).style('label') === ''", arg=CANARY)

    # one namespace: fewer nodes, drawn larger, still readable
    open_topology(page, cluster, "?namespace=bookstore")
    wait_for_edges(page, CANARY, THIEF)
    bookstore = assert_readable(page)
    screenshot(page, "topology-namespace")
    open_topology(page, cluster, "?namespace=storefront")
    wait_for_edges(page, BROKEN_RULE)
    storefront = assert_readable(page)
    print(f"\ncanvas use, all namespaces: {everything}; bookstore: {bookstore}; storefront: {storefront}")
