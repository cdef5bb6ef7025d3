"""What a new user met on the demo, in Chromium: each page now says the same thing and says it plainly.

One test per gap: pages agree on enforcement and finding counts while traffic is watched, the
A/B split names what it splits, the planted mistake shows where operators look, the menu
reaches every page, and an auditor reads revisions and audit entries without guessing.
"""

from __future__ import annotations

import re

import pytest
from django.utils import timezone

from smi_ui.accounts.roles import Role
from smi_ui.inventory.models import KubeObject, Revision
from smi_ui.metrics.pollers import pollers
from tests.browser.conftest import log_in, screenshot, sync_api
from tests.conditions import wait_for
from tests.edit_support import make_user
from tests.metrics.conftest import traffic_world  # noqa: F401 - fixture

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow, pytest.mark.usefixtures("fast_polling")]
expect = sync_api.expect


def test_every_page_states_the_same_enforcement_and_counts_while_traffic_is_watched(traffic_world, new_page,  # noqa: F811
                                                                                   asgi_server):
    make_user("audrey", Role.AUDITOR)
    cluster = traffic_world.cluster.name
    topology = new_page(base_url=asgi_server)
    log_in(topology, "audrey")
    topology.goto(f"/clusters/{cluster}/topology/")
    expect(topology.get_by_test_id("live-status")).to_have_text("live")
    expect(topology.locator("[data-denied-summary]")).to_contain_text("bookstore/bookthief")
    expect(topology.get_by_test_id("access-mode")).to_contain_text("on")
    wait_for(lambda: all((p := pollers.poller(traffic_world.cluster.pk, ns)) is not None and p.latest
                         for ns in ("bookstore", "storefront")), timeout=20, what="both namespaces polled")
    pages = topology.context
    second = pages.new_page()  # the same page opened again now lists what the first one watches
    second.goto(f"/clusters/{cluster}/topology/")
    expect(second.get_by_test_id("traffic-findings").locator("li")).to_have_count(3)
    policy = pages.new_page()
    policy.goto(f"/clusters/{cluster}/policy/")
    expect(policy.get_by_test_id("access-mode")).to_contain_text("on")
    expect(policy.get_by_test_id("findings-count")).to_have_text("4")  # 3 unallowed edges + the planted mistake
    report = pages.new_page()
    report.goto(f"/clusters/{cluster}/policy/report/")
    expect(report.get_by_test_id("access-mode")).to_contain_text("on")
    overview = pages.new_page()
    overview.goto("/")
    expect(overview.get_by_test_id("findings-summary")).to_contain_text("4 errors")


def test_the_ab_split_page_names_the_requests_it_splits(traffic_world, new_page):  # noqa: F811
    make_user("olivia", Role.OPERATOR)
    page = new_page()
    log_in(page, "olivia")
    page.goto(f"/clusters/{traffic_world.cluster.name}/objects/storefront/trafficsplits/catalog-ab-test/weights/")
    matches = page.get_by_test_id("split-matches")
    expect(matches).to_contain_text("firefox-users")
    expect(matches).to_contain_text("user-agent~.*Firefox.*")
    expect(page.get_by_role("button", name="All matching to catalog-beta")).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("Promote canary"))).to_have_count(0)
    screenshot(page, "traffic-split-ab")


def test_the_planted_mistake_shows_in_the_objects_list_and_on_its_page(traffic_world, new_page):  # noqa: F811
    make_user("vic", Role.VIEWER)
    page = new_page()
    log_in(page, "vic")
    page.goto(f"/clusters/{traffic_world.cluster.name}/objects/?namespace=storefront")
    row = page.get_by_test_id("object-list").locator("tr", has_text="frontend-to-checkout")
    problems = row.get_by_test_id("problems")
    expect(problems).to_contain_text("1 error")
    screenshot(page, "objects-with-problems")
    problems.locator("a").click()
    page.wait_for_url("**/traffictargets/frontend-to-checkout/#problems")
    expect(page.get_by_test_id("object-problems")).to_contain_text("checkout-routes")


def test_the_menu_reaches_the_clusters_pages_and_the_api(traffic_world, new_page):  # noqa: F811
    make_user("ada", Role.ADMIN, is_staff=True, is_superuser=True)
    page = new_page()
    log_in(page, "ada")
    menu = page.get_by_role("navigation", name="Main")
    menu.get_by_role("link", name="Clusters").click()
    page.wait_for_url("**/clusters/")
    page.get_by_test_id("cluster-table").get_by_role("link", name=traffic_world.cluster.name).click()
    page.wait_for_url(f"**/clusters/{traffic_world.cluster.name}/")
    for name in ("Topology", "Access policy", "Objects"):
        expect(menu.get_by_role("link", name=name)).to_be_visible()
    screenshot(page, "cluster")
    menu.get_by_role("link", name="Admin").click()
    expect(page.locator("#site-name")).to_contain_text("smi-ui administration")
    page.goto("/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="API").click()
    page.wait_for_url("**/api/docs/")
    expect(page.locator(".swagger-ui")).to_be_visible()
    favicon = page.request.get("/favicon.ico")
    assert favicon.ok and "svg" in favicon.headers["content-type"]


def test_an_auditor_reads_revisions_and_audit_entries_without_guessing(traffic_world, new_page):  # noqa: F811
    from smi_ui.changes.actors import Actor
    from smi_ui.changes.services import set_split_weights

    operator = make_user("olivia", Role.OPERATOR)
    split = traffic_world.live("split.smi-spec.io/v1alpha4", "TrafficSplit", "bookstore-canary", "bookstore")
    base = split["metadata"]["resourceVersion"]
    set_split_weights(Actor.for_user(operator), traffic_world.cluster, "bookstore", "bookstore-canary",
                      {"bookstore-v1": 60, "bookstore-v2": 40}, base_resource_version=base)
    obj = KubeObject.objects.get(cluster=traffic_world.cluster, kind="TrafficSplit", name="bookstore-canary")
    Revision.objects.get_or_create(
        cluster=traffic_world.cluster, uid=obj.uid, resource_version=split["metadata"]["resourceVersion"],
        change="created", defaults={"api_version": obj.api_version, "kind": "TrafficSplit", "namespace": "bookstore",
                                    "name": "bookstore-canary", "after": split, "observed_at": timezone.now()})
    make_user("audrey", Role.AUDITOR)
    page = new_page()
    log_in(page, "audrey")
    page.goto(f"/clusters/{traffic_world.cluster.name}/objects/bookstore/trafficsplits/bookstore-canary/")
    page.get_by_role("button", name=re.compile("Compare")).click()
    comparison = page.get_by_test_id("comparison")
    expect(comparison).to_contain_text(re.compile(r"--- object \(rv \d+, .* UTC\)"))
    expect(comparison).not_to_contain_text("(current)")
    expect(page.locator("ol.timeline")).to_contain_text("olivia (via dashboard edit)")
    page.goto("/audit/")
    table = page.get_by_test_id("audit-table")
    expect(table).to_contain_text("UTC")
    table.locator('tr[data-actor="olivia"]').first.get_by_role("link").first.click()
    entry = page.get_by_test_id("audit-entry")
    expect(entry).to_contain_text("written: the cluster stored resourceVersion")
    expect(page.get_by_test_id("audit-diff")).to_contain_text("weight: 40")
    screenshot(page, "audit-entry")
