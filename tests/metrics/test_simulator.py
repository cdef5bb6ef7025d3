"""The traffic simulator: traffic follows live weights and policy, and canaries look worse."""

from __future__ import annotations

import copy

import pytest

from smi_ui.sandbox.demo import demo_objects
from smi_ui.sandbox.simulator import (
    CANARY,
    STABLE,
    Edge,
    Flow,
    LatencyProfile,
    mixture_quantile,
    parse_window,
    simulator_for_objects,
)


def by_edge(simulator):
    return {item.edge: item for item in simulator.traffic()}


def bookstore(source: str, destination: str) -> Edge:
    return Edge("bookstore", source, "bookstore", destination)


def with_weights(objects, v1: int, v2: int):
    changed = copy.deepcopy(objects)
    for obj in changed:
        if obj["kind"] == "TrafficSplit" and obj["metadata"]["name"] == "bookstore-canary":
            obj["spec"]["backends"] = [{"service": "bookstore-v1", "weight": v1},
                                       {"service": "bookstore-v2", "weight": v2}]
    return changed


def test_split_divides_a_flow_by_the_current_weights():
    objects = demo_objects()
    current = {"objects": objects}
    simulator = simulator_for_objects([])
    simulator.mesh_source = lambda: current["objects"]
    traffic = by_edge(simulator)
    assert traffic[bookstore("bookbuyer", "bookstore-v1")].rps == pytest.approx(16)
    assert traffic[bookstore("bookbuyer", "bookstore-v2")].rps == pytest.approx(4)
    current["objects"] = with_weights(objects, 50, 50)
    traffic = by_edge(simulator)
    assert traffic[bookstore("bookbuyer", "bookstore-v2")].rps == pytest.approx(10)


def test_an_edge_no_traffic_target_allows_fails_every_request():
    traffic = by_edge(simulator_for_objects(demo_objects()))
    denied = traffic[bookstore("bookthief", "bookstore-v1")]
    assert denied.denied and denied.rps > 0 and denied.success_rps == 0
    assert not traffic[bookstore("bookbuyer", "bookstore-v1")].denied


def test_without_access_control_nothing_is_denied():
    traffic = by_edge(simulator_for_objects(demo_objects(), access_control=False))
    assert not any(item.denied for item in traffic.values())


def test_canary_backend_is_slower_and_fails_more_than_stable():
    traffic = by_edge(simulator_for_objects(demo_objects()))
    stable, canary = traffic[bookstore("bookbuyer", "bookstore-v1")], traffic[bookstore("bookbuyer", "bookstore-v2")]
    assert (stable.profile, canary.profile) == (STABLE, CANARY)
    assert canary.profile.p99_ms > stable.profile.p99_ms and canary.profile.success_rate < stable.profile.success_rate


def test_flows_from_missing_workloads_make_no_traffic():
    simulator = simulator_for_objects(demo_objects(), [Flow("bookstore", "nobody", "bookstore", 5)])
    assert simulator.traffic() == []


def test_latency_distribution_reproduces_its_quantiles():
    profile = LatencyProfile(0.99, 12, 35, 80)
    for quantile, expected in ((0.5, 12), (0.9, 35), (0.99, 80)):
        assert mixture_quantile([(1.0, profile)], quantile) == pytest.approx(expected, rel=1e-6)


def test_counters_grow_by_rate_times_elapsed_time():
    now = [100.0]
    simulator = simulator_for_objects(demo_objects(), clock=lambda: now[0])
    simulator.prometheus_text()
    now[0] += 10
    text = simulator.prometheus_text()
    line = next(line for line in text.splitlines() if line.startswith("request_total{")
                and 'deployment="bookbuyer"' in line and 'dst_deployment="bookstore-v2"' in line)
    assert float(line.rsplit(" ", 1)[1]) == pytest.approx(40.0)
    assert 'response_latency_ms_bucket{direction="inbound",namespace="bookstore",deployment="bookstore-v2"' in text


@pytest.mark.parametrize(("text", "seconds"), [("30s", 30), ("1m", 60), ("1m30s", 90), ("500ms", 0.5),
                                               (None, 30), ("", 30), ("soon", 30), ("10", 30)])
def test_window_parameter_is_a_go_duration_defaulting_to_thirty_seconds(text, seconds):
    assert parse_window(text) == seconds


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def canary_rps_over(simulator, window: float) -> float:
    """The canary's rate as the SMI metrics API answers for `window` (success + failure counts ÷ window)."""
    from smi_ui.smi.quantity import parse_quantity

    (document,) = simulator.deployment_metrics("bookstore", window, "bookstore-v2")
    counts = {m["name"]: float(parse_quantity(m["value"]).value) for m in document["metrics"]}
    return (counts["success_count"] + counts["failure_count"]) / window


def test_a_window_holds_what_happened_in_it_not_the_current_rate():
    """After a weight change the 30 s figures move over 30 s, as a real mesh's do: never all at once."""
    objects = demo_objects()
    clock = FakeClock()
    mesh = {"objects": objects}
    simulator = simulator_for_objects([], clock=clock)
    simulator.mesh_source = lambda: mesh["objects"]
    before = canary_rps_over(simulator, 30)
    assert before == pytest.approx(4.8)  # 20 % of bookbuyer's 20 rps and of bookthief's 4 (denied)
    clock.now += 60
    mesh["objects"] = with_weights(objects, 50, 50)
    settled = sum(t.rps for t in simulator.traffic() if t.edge.destination == "bookstore-v2")
    assert settled == pytest.approx(12.0)
    assert canary_rps_over(simulator, 30) == pytest.approx(before)  # just seen: none of it in the window yet
    for seconds_since in (10, 20, 30, 45):
        clock.now = 1060 + seconds_since
        share = min(seconds_since, 30) / 30
        assert canary_rps_over(simulator, 30) == pytest.approx(before + (settled - before) * share, rel=1e-3)
    assert canary_rps_over(simulator, 1) == pytest.approx(settled)


def test_memory_of_observations_is_bounded(monkeypatch):
    from smi_ui.sandbox import simulator as module

    monkeypatch.setattr(module, "MAX_OBSERVATIONS", 100)
    clock = FakeClock()
    simulator = simulator_for_objects(demo_objects(), clock=clock)
    for _ in range(150):
        clock.now += 0.001
        simulator.observe()
    assert len(simulator._seen) == 100
    clock.now += module.MAX_WINDOW_SECONDS + 10
    simulator.observe()
    assert len(simulator._seen) == 2  # the observation whose rates still cover the longest window, and now
