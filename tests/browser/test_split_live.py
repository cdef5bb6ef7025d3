"""The traffic split page live, in Chromium against the ASGI server with simulated traffic.

Figures per backend come over the namespace's websocket; a change applied anywhere reaches
every open page of the split without a reload; a stepped change walks the canary up.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from asgiref.sync import SyncToAsync
from django.db import connections

from smi_ui.accounts.roles import Role
from smi_ui.metrics.pollers import pollers
from smi_ui.sandbox.simulator import DEMO_FLOWS, Flow
from tests.browser.conftest import log_in, screenshot, sync_api
from tests.browser.test_dashboard import SPLIT_PAGE, drag_slider, form_weights, live_weights
from tests.edit_support import SPLIT_V4, World, make_user, token_client, world_factory  # noqa: F401 - fixture
from tests.metrics.conftest import traffic_world  # noqa: F401 - fixture

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]
expect = sync_api.expect

POLL_SECONDS = 2
SPLIT_RPS = 24.0  # what the demo flows send to the split's apex
DIRECT_RPS = 6.0  # what the canary gets besides, in the first test
#: Websocket delivery and rendering on a busy machine, on top of the refresh intervals themselves.
DELIVERY_MARGIN_MS = 1500

ROW = '[data-backend="{}"] {}'

# Times (page clock) at which the observed share of a backend changed, and when Apply was clicked.
WATCH_OBSERVED = """backend => {
    window.__observed = [];
    const node = document.querySelector(`[data-backend="${backend}"] [data-observed-share]`);
    new MutationObserver(() => window.__observed.push({t: Date.now(), text: node.textContent}))
        .observe(node, {childList: true, characterData: true, subtree: true});
    document.querySelector('[data-action="apply"]').addEventListener(
        'click', () => { window.__applyClickedAt = Date.now(); }, {capture: true});
}"""


@pytest.fixture(autouse=True)
def fast_polling(settings: object) -> Iterator[None]:
    """A short refresh interval; pollers stopped and the async thread's connection closed afterwards."""
    settings.METRICS_POLL_SECONDS = POLL_SECONDS  # type: ignore[attr-defined]
    yield
    pollers.stop_all()
    SyncToAsync.single_thread_executor.submit(connections.close_all).result(10)


def open_split(new_page: Callable[..., Any], asgi_server: str, world: World, username: str) -> Any:
    """A signed-in page of the split on the ASGI server, once its websocket is live."""
    page = new_page(base_url=asgi_server)
    log_in(page, username)
    page.goto(SPLIT_PAGE.format(cluster=world.cluster.name))
    expect(page.get_by_test_id("live-status")).to_have_text("live")
    return page


def percent(text: str) -> float:
    return float(text.replace("%", "").strip())


@pytest.fixture
def canary_world(world_factory: Callable[..., World]) -> World:  # noqa: F811
    """The demo world with simulated traffic, plus a client calling the canary Service directly.

    The direct calls bypass the split, so the observed share differs from the set share: a page
    that showed the set share as "observed" would not pass.
    """
    world = world_factory()
    world.handle.cluster.attach_simulator([*DEMO_FLOWS, Flow("bookstore", "bookwarehouse", "bookstore-v2", DIRECT_RPS)])
    return world


def test_live_figures_follow_an_applied_change_and_reach_another_session(canary_world, new_page, asgi_server):
    world = canary_world
    make_user("olivia", Role.OPERATOR)
    make_user("oscar", Role.OPERATOR)
    page = open_split(new_page, asgi_server, world, "olivia")
    # bookbuyer (20 rps) and bookthief (4 rps, denied) call the apex; 80/20 splits them 19.2 / 4.8,
    # and bookwarehouse sends 6 rps straight to the canary, bypassing the split
    expect(page.locator(ROW.format("bookstore-v1", "[data-live-rps]"))).to_have_text("19.2 rps")
    expect(page.locator(ROW.format("bookstore-v2", "[data-live-rps]"))).to_have_text("10.8 rps")
    expect(page.locator(ROW.format("bookstore-v2", "[data-observed-share]"))).to_have_text("36 %")
    expect(page.locator(ROW.format("bookstore-v2", "[data-set-share]"))).to_have_text("20 %")
    expect(page.locator(ROW.format("bookstore-v2", "[data-observed-share]"))).to_have_attribute("data-drift", "far")
    for backend in ("bookstore-v1", "bookstore-v2"):
        expect(page.locator(ROW.format(backend, "[data-live-success]"))).to_have_text(re.compile(r"^\d+(\.\d+)? %$"))
        expect(page.locator(ROW.format(backend, "[data-live-p99]"))).to_have_text(re.compile(r"^\d+ ms$"))
    page.wait_for_function("() => document.querySelectorAll('[data-sparkline] canvas').length === 2")
    before = {sel: page.locator(ROW.format("bookstore-v2", sel)).inner_text()
              for sel in ("[data-live-rps]", "[data-live-success]", "[data-live-p99]")}

    other = open_split(new_page, asgi_server, world, "oscar")
    other.evaluate("() => { window.__notReloaded = true; }")

    page.evaluate(WATCH_OBSERVED, "bookstore-v2")
    drag_slider(page, "bookstore-v2", 0.9)
    wanted = form_weights(page)
    assert wanted["bookstore-v2"] > 50
    expected_share = wanted["bookstore-v2"] / sum(wanted.values()) * 100
    expected_v2_rps = SPLIT_RPS * expected_share / 100 + DIRECT_RPS
    expected_observed = expected_v2_rps / (SPLIT_RPS + DIRECT_RPS) * 100
    page.click('[data-action="preview"]')
    expect(page.locator("[data-verdict]")).to_have_text("Dry run: the cluster accepts this change.")
    page.click('[data-action="apply"]')
    expect(page.locator("[data-applied]")).to_contain_text("Applied")
    assert live_weights(world) == wanted

    # the observed share moves toward the new weight within two refresh intervals of the click
    page.wait_for_function("""expected => (window.__observed || []).some(
        o => Math.abs(parseFloat(o.text) - expected) < 0.1)""", arg=expected_observed,
                           timeout=(2 * POLL_SECONDS) * 1000 + 10_000)
    latency = page.evaluate("""expected => window.__observed.find(
        o => Math.abs(parseFloat(o.text) - expected) < 0.1).t - window.__applyClickedAt""", expected_observed)
    assert latency <= 2 * POLL_SECONDS * 1000 + DELIVERY_MARGIN_MS, f"observed share followed after {latency} ms"
    assert abs(expected_observed - expected_share) < abs(36 - expected_share)  # toward the new weight
    for sel, text in before.items():  # every figure of the canary moved with the new weights
        expect(page.locator(ROW.format("bookstore-v2", sel))).not_to_have_text(text)
    v2_rps = float(page.locator(ROW.format("bookstore-v2", "[data-live-rps]")).inner_text().split()[0])
    assert v2_rps == pytest.approx(expected_v2_rps, abs=0.1)
    expect(page.locator(ROW.format("bookstore-v2", "[data-set-share]"))).to_have_text(
        f"{round(expected_share, 2):g} %")

    # the other session follows without a reload: inputs, set weights and its base version
    version = page.get_by_test_id("resource-version").inner_text()
    expect(other.get_by_test_id("resource-version")).to_have_text(version)
    for backend, weight in wanted.items():
        expect(other.locator(ROW.format(backend, "[data-weight-input]"))).to_have_value(str(weight))
        expect(other.locator(ROW.format(backend, "[data-set-weight]"))).to_have_text(str(weight))
    expect(other.locator("[data-remote-change]")).to_contain_text(f"bookstore-v2: {wanted['bookstore-v2']}")
    expect(page.locator("[data-remote-change]")).to_be_hidden()  # its own change is no news to the writer
    assert other.evaluate("() => window.__notReloaded") is True
    screenshot(page, "traffic-split-live")
    screenshot(other, "traffic-split-remote-change")


def test_unsaved_edits_survive_a_remote_change_and_the_absent_metrics_api_is_explained(world, new_page,
                                                                                       asgi_server):
    """No simulator here: the SMI metrics API is absent, which is no failure; the page says what to configure."""
    make_user("oscar", Role.OPERATOR)
    automation = make_user("robot", Role.OPERATOR)
    page = open_split(new_page, asgi_server, world, "oscar")
    missing = page.get_by_test_id("live-missing")
    expect(missing).to_have_text("Live traffic unavailable: this cluster serves no SMI metrics API "
                                 "(metrics.smi-spec.io/v1alpha1); configure the Prometheus provider with "
                                 "METRICS_PROVIDERS.")
    expect(missing).to_have_attribute("data-state", "unavailable")
    expect(page.locator(ROW.format("bookstore-v2", "[data-live-rps]"))).to_have_text("–")

    page.locator(ROW.format("bookstore-v1", "[data-weight-input]")).fill("55")
    base = world.live(SPLIT_V4, "TrafficSplit", "bookstore-canary", "bookstore")["metadata"]["resourceVersion"]
    response = token_client(automation).post(
        f"/api/objects/{world.cluster.name}/bookstore/trafficsplits/bookstore-canary/weights/",
        {"base_resource_version": base, "weights": {"bookstore-v2": 45}}, format="json")
    assert response.status_code == 200
    new_version = response.json()["resource_version"]

    notice = page.locator("[data-remote-change]")
    expect(notice).to_contain_text("bookstore-v2: 45")
    expect(notice).to_contain_text("Your unsaved edits are kept")
    expect(page.get_by_test_id("resource-version")).to_have_text(base)  # the edit is still based on it
    expect(page.locator(ROW.format("bookstore-v2", "[data-set-weight]"))).to_have_text("45")
    expect(page.locator(ROW.format("bookstore-v1", "[data-weight-input]"))).to_have_value("55")
    expect(page.locator(ROW.format("bookstore-v2", "[data-weight-input]"))).to_have_value("20")
    screenshot(page, "traffic-split-unsaved-kept")
    # their change is shown before the edit can replace it; re-applying goes on top of it
    page.click('[data-action="preview"]')
    expect(page.locator("[data-conflict]")).to_be_visible()
    expect(page.locator("[data-their-weights]")).to_contain_text("bookstore-v2: 45")
    assert live_weights(world) == {"bookstore-v1": 80, "bookstore-v2": 45}
    page.click('[data-action="reapply"]')
    expect(page.locator("[data-verdict]")).to_have_text("Dry run: the cluster accepts this change.")
    expect(page.get_by_test_id("resource-version")).to_have_text(new_version)
    page.click('[data-action="apply"]')
    expect(page.locator("[data-applied]")).to_contain_text("Applied")
    assert live_weights(world) == {"bookstore-v1": 55, "bookstore-v2": 20}


def test_a_stepped_change_halts_below_the_threshold_and_walks_the_canary_up_above_it(traffic_world, new_page,  # noqa: F811
                                                                                  asgi_server):
    world = traffic_world
    make_user("oscar", Role.OPERATOR)
    page = open_split(new_page, asgi_server, world, "oscar")
    expect(page.locator(ROW.format("bookstore-v2", "[data-live-success]"))).to_have_text(re.compile(r"%$"))
    canary_success = percent(page.locator(ROW.format("bookstore-v2", "[data-live-success]")).inner_text())
    stepped = page.locator("[data-stepped]")
    stepped.locator("[data-step-percent]").fill("20")
    stepped.locator("[data-step-every]").fill("2")
    stepped.locator("[data-step-unit]").select_option("1")
    stepped.locator("[data-step-target]").fill("60")
    stepped.locator("[data-step-threshold]").fill(f"{canary_success + 5:.1f}")
    # keyboard only: focus the start button and press Enter
    page.get_by_role("button", name="Start stepped change").focus()
    page.keyboard.press("Enter")
    expect(stepped.locator("[data-step-status]")).to_contain_text("Halted: bookstore-v2 success rate")
    assert live_weights(world) == {"bookstore-v1": 80, "bookstore-v2": 20}
    assert page.locator("[data-weight-slider]").first.is_disabled()

    stepped.locator("[data-step-threshold]").fill(f"{canary_success - 5:.1f}")
    stepped.get_by_role("button", name="Resume").click()
    expect(stepped.locator("[data-step-status]")).to_contain_text("Done: bookstore-v2 at 60 % after 2 step(s).",
                                                                  timeout=30_000)
    assert live_weights(world) == {"bookstore-v1": 40, "bookstore-v2": 60}
    expect(stepped.locator("[data-step-log] li")).to_have_count(6)  # started, halted, resumed, two steps, done
    assert page.locator("[data-step-progress]").evaluate("p => p.value") == 100
    expect(page.locator(ROW.format("bookstore-v2", "[data-weight-input]"))).to_have_value("60")
    expect(page.locator("[data-remote-change]")).to_be_hidden()
    assert not page.locator("[data-weight-slider]").first.is_disabled()
    expect(page.locator(ROW.format("bookstore-v2", "[data-observed-share]"))).to_have_text("60 %")  # traffic followed
    screenshot(page, "traffic-split-stepped")


def test_the_canary_is_judged_by_allowed_traffic_and_passes_the_default_gate_in_the_demo(traffic_world, new_page,  # noqa: F811
                                                                                        asgi_server):
    """bookthief's requests are denied by policy: they show as denied, not as the canary failing its callers."""
    make_user("oscar", Role.OPERATOR)
    page = open_split(new_page, asgi_server, traffic_world, "oscar")
    success = page.locator(ROW.format("bookstore-v2", "[data-live-success]"))
    expect(success).to_have_text(re.compile(r"%$"))
    assert percent(success.inner_text()) == pytest.approx(95, abs=0.5)  # what its real callers see, not ~79 %
    denied = page.locator(ROW.format("bookstore-v2", "[data-live-denied]"))
    expect(denied).to_have_text(re.compile(r"^\d+(\.\d)? rps$"))
    assert denied.get_attribute("data-denied") == "yes"
    expect(page.locator(ROW.format("bookstore-v1", "[data-live-success]"))).to_have_text(re.compile(r"%$"))
    stepped = page.locator("[data-stepped]")
    assert stepped.locator("[data-step-threshold]").input_value() == "95"  # the default gate, left as it is
    stepped.locator("[data-step-percent]").fill("10")
    stepped.locator("[data-step-every]").fill("1")
    stepped.locator("[data-step-unit]").select_option("1")
    stepped.locator("[data-step-target]").fill("30")
    stepped.get_by_role("button", name="Start stepped change").click()
    expect(stepped.locator("[data-step-status]")).to_contain_text("Done: bookstore-v2 at 30 % after 1 step(s).",
                                                                  timeout=30_000)
    assert live_weights(traffic_world) == {"bookstore-v1": 70, "bookstore-v2": 30}
    screenshot(page, "traffic-split-denied-apart")
