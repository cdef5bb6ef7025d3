"""The access policy page while another tab shows the topology's live traffic (the README's headline flow).

The topology tab subscribes to the namespaces over websockets; the pollers it starts cache
the observed edges, and the policy page in a second tab lists the traffic no rule allows,
with the same counts as the overview, instead of failing.
"""

from __future__ import annotations

import pytest

from smi_ui.accounts.roles import Role
from smi_ui.metrics.pollers import pollers
from tests.browser.conftest import log_in, screenshot, sync_api
from tests.conditions import wait_for
from tests.edit_support import make_user
from tests.metrics.conftest import traffic_world  # noqa: F401 - fixture

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow, pytest.mark.usefixtures("fast_polling")]
expect = sync_api.expect


def test_the_policy_page_lists_unallowed_traffic_while_the_topology_is_open(traffic_world, new_page,  # noqa: F811
                                                                          asgi_server):
    make_user("audrey", Role.AUDITOR)
    topology = new_page(base_url=asgi_server)
    log_in(topology, "audrey")
    cluster = traffic_world.cluster
    topology.goto(f"/clusters/{cluster.name}/topology/")
    expect(topology.get_by_test_id("live-status")).to_have_text("live")
    expect(topology.locator("[data-denied-summary]")).to_contain_text("bookstore/bookthief")
    wait_for(lambda: all((p := pollers.poller(cluster.pk, ns)) is not None and p.latest
                         for ns in ("bookstore", "storefront")), timeout=20, what="both namespaces polled")

    policy = topology.context.new_page()  # a second tab of the same session
    response = policy.goto(f"/clusters/{cluster.name}/policy/")
    assert response.status == 200
    unallowed = policy.locator('tr.finding[data-code="unallowed-traffic"]')
    expect(unallowed).to_have_count(3)
    expect(unallowed.filter(has_text="bookstore/bookthief → bookstore/bookstore-v1")).to_have_count(1)
    expect(policy.get_by_test_id("access-mode")).to_contain_text("on")
    expect(policy.get_by_test_id("findings-count")).to_have_text("4")
    screenshot(policy, "access-policy-live")
    unallowed.first.get_by_test_id("finding-topology").click()
    policy.wait_for_url("**/topology/?namespace=*")

    overview = topology.context.new_page()
    overview.goto("/")
    expect(overview.get_by_test_id("findings-summary")).to_contain_text("4 errors")
