"""Traffic for the sandbox and the demo: request rates, failures and latencies that follow live policy.

Nothing here sends requests. The simulator reads the mesh (Deployments, Services,
TrafficSplits, TrafficTargets) each time it is asked and derives steady per-edge rates:

- a flow calls a Service; when a TrafficSplit has that Service as its apex, the flow's rate
  is divided over the backends by the split's current weights, so moving a weight moves
  the backends' rates at the next observation;
- with access control on, an edge no TrafficTarget allows (by ServiceAccount) fails every
  request (fast 403s) instead of carrying traffic;
- each destination answers with a latency profile; canary workloads (`track: canary|beta`
  label, or a `version` label other than the split's first backend's) are slower and fail
  more than stable ones.

Both metrics providers are fed from it, and both are honest about their window: the sandbox
answers the SMI metrics API with what the window really held (each observation's rates
count from the moment they were seen, the rates first seen count for the time before), so
after a weight change the figures move over the window as a real mesh's do, not at once;
and `prometheus_text` renders cumulative counters and histograms in Linkerd's proxy metric
shapes for a real Prometheus to scrape (its `rate()` over a window does the same).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from smi_ui.smi.codec import parse
from smi_ui.smi.durations import go_duration_seconds
from smi_ui.smi.errors import SMIError
from smi_ui.smi.kinds import REGISTRY
from smi_ui.smi.shares import WeightError, weighted_shares

#: Linkerd proxy latency histogram bounds (ms).
LINKERD_BUCKETS_MS: tuple[float, ...] = (1, 2, 3, 4, 5, 10, 20, 30, 40, 50, 100, 200, 300, 400, 500, 1000, 2000,
                                         3000, 4000, 5000, 10000, 20000, 30000, 40000, 50000)


@dataclass(frozen=True)
class LatencyProfile:
    """How a workload answers: success ratio and latency quantiles (ms) of a piecewise-linear distribution."""

    success_rate: float
    p50_ms: float
    p90_ms: float
    p99_ms: float

    def cdf(self, ms: float) -> float:
        """Fraction of responses at or below `ms` (linear between the quantile knots, max = 2 x p99)."""
        knots = ((0.0, 0.0), (self.p50_ms, 0.5), (self.p90_ms, 0.9), (self.p99_ms, 0.99), (2 * self.p99_ms, 1.0))
        if ms <= 0:
            return 0.0
        for (x0, y0), (x1, y1) in zip(knots, knots[1:], strict=False):
            if ms <= x1:
                return y0 + (y1 - y0) * (ms - x0) / (x1 - x0)
        return 1.0


# Quantiles sit on Linkerd bucket bounds, so a histogram reproduces them without interpolation error.
STABLE = LatencyProfile(success_rate=0.995, p50_ms=10, p90_ms=40, p99_ms=100)
CANARY = LatencyProfile(success_rate=0.95, p50_ms=20, p90_ms=100, p99_ms=300)
DENIED = LatencyProfile(success_rate=0.0, p50_ms=1, p90_ms=2, p99_ms=3)


@dataclass(frozen=True)
class Flow:
    """A client Deployment calling a Service in the same namespace at `rps` requests per second."""

    namespace: str
    source: str
    service: str
    rps: float


@dataclass(frozen=True)
class Edge:
    """Traffic between two Deployments."""

    source_namespace: str
    source: str
    destination_namespace: str
    destination: str


@dataclass(frozen=True)
class EdgeTraffic:
    edge: Edge
    rps: float
    profile: LatencyProfile
    denied: bool

    @property
    def success_rps(self) -> float:
        return self.rps * self.profile.success_rate

    @property
    def failure_rps(self) -> float:
        return self.rps - self.success_rps


#: The longest window the SMI metrics API answers for (older observations are forgotten).
MAX_WINDOW_SECONDS = 3600.0
#: Observations remembered at most (one per metrics request, so a bound on memory whatever the window).
MAX_OBSERVATIONS = 20_000

#: Who calls whom in the demo world (namespaces bookstore and storefront).
DEMO_FLOWS: tuple[Flow, ...] = (
    Flow("bookstore", "bookbuyer", "bookstore", 20),
    Flow("bookstore", "bookthief", "bookstore", 4),  # no access rule lets it in: all denied
    Flow("bookstore", "bookstore-v1", "bookwarehouse", 6),
    Flow("bookstore", "bookstore-v2", "bookwarehouse", 2),
    Flow("bookstore", "bookwarehouse", "mysql", 8),
    Flow("storefront", "frontend", "catalog", 30),
    Flow("storefront", "frontend", "checkout", 5),
    Flow("storefront", "checkout", "payments", 5),
)

Key = tuple[str, str]  # (namespace, name)

def mesh_resources() -> tuple[tuple[str, str], ...]:
    """Where the sandbox store keeps what the simulator reads (group, resource): workloads, Services,
    and every kind with weighted backends or access rules."""
    kinds = (*REGISTRY.with_trait("weighted"), *REGISTRY.with_trait("access_rule"))
    return (("apps", "deployments"), ("", "services"), *((spec.group, spec.plural) for spec in kinds))


@dataclass
class Mesh:
    """The parts of a cluster that decide where traffic goes, read from raw objects."""

    deployments: dict[Key, dict[str, Any]] = field(default_factory=dict)
    services: dict[Key, dict[str, Any]] = field(default_factory=dict)
    splits: dict[Key, Any] = field(default_factory=dict)  # weighted objects by (namespace, root service)
    targets: list[Any] = field(default_factory=list)  # access rules

    @classmethod
    def from_objects(cls, objects: Iterable[dict[str, Any]]) -> Mesh:
        mesh = cls()
        for obj in objects:
            kind = obj.get("kind")
            metadata = obj.get("metadata") or {}
            key = (metadata.get("namespace", ""), metadata.get("name", ""))
            if kind == "Deployment":
                mesh.deployments[key] = obj
            elif kind == "Service":
                mesh.services[key] = obj
            elif REGISTRY.has_trait(kind, "weighted") or REGISTRY.has_trait(kind, "access_rule"):
                try:
                    parsed = parse(obj)
                except (SMIError, ValueError):
                    continue
                traits = parsed.INFO.traits
                if traits.weighted is not None and (root := traits.weighted.root(parsed)):
                    mesh.splits[(key[0], root)] = parsed
                elif traits.access_rule is not None:
                    mesh.targets.append(parsed)
        return mesh

    def workloads_of_service(self, namespace: str, service: str) -> list[Key]:
        """The Deployment named like the Service, else those its selector matches."""
        if (namespace, service) in self.deployments:
            return [(namespace, service)]
        selector = (((self.services.get((namespace, service)) or {}).get("spec") or {}).get("selector")) or {}
        if not selector:
            return []
        return [key for key, deployment in self.deployments.items() if key[0] == namespace
                and selector.items() <= _pod_labels(deployment).items()]

    def destinations(self, flow: Flow) -> list[tuple[Key, float, bool]]:
        """(deployment, share of the flow, is canary) for every workload the flow reaches."""
        split = self.splits.get((flow.namespace, flow.service))
        if split is not None:
            try:
                shares = weighted_shares(split)
            except WeightError:
                shares = {}
            groups = split.INFO.traits.weighted.groups(split)
            stable_service = groups[0].services[0] if groups and groups[0].services else None
            reached = []
            for backend, share in shares.items():
                workloads = self.workloads_of_service(flow.namespace, backend)
                for workload in workloads:
                    canary = backend != stable_service or self._labelled_canary(workload)
                    reached.append((workload, float(share) / len(workloads), canary))
            return reached
        workloads = self.workloads_of_service(flow.namespace, flow.service)
        return [(workload, 1.0 / len(workloads), self._labelled_canary(workload)) for workload in workloads]

    def _labelled_canary(self, workload: Key) -> bool:
        labels = _pod_labels(self.deployments.get(workload) or {})
        return labels.get("track") in ("canary", "beta")

    def service_account(self, workload: Key) -> str:
        spec = ((self.deployments.get(workload) or {}).get("spec") or {}).get("template") or {}
        return (spec.get("spec") or {}).get("serviceAccountName") or "default"

    def allowed(self, source: Key, destination: Key) -> bool:
        """Whether some access rule lets the source's ServiceAccount reach the destination's."""
        wanted = ((source[0], self.service_account(source)), (destination[0], self.service_account(destination)))
        return any(wanted in target.INFO.traits.access_rule.pairs(target) for target in self.targets)


def _pod_labels(deployment: dict[str, Any]) -> dict[str, str]:
    template = ((deployment.get("spec") or {}).get("template") or {}).get("metadata") or {}
    return dict(template.get("labels") or {})


class TrafficSimulator:
    """Steady traffic derived from the live mesh, plus the cumulative counters a scrape needs.

    `mesh_source` returns the cluster's current objects; it is called on every observation,
    from whatever thread observes (the sandbox calls it on its own event loop).
    """

    def __init__(self, mesh_source: Callable[[], Iterable[dict[str, Any]]], flows: Iterable[Flow] = DEMO_FLOWS,
                 *, access_control: bool = True, stable: LatencyProfile = STABLE, canary: LatencyProfile = CANARY,
                 clock: Callable[[], float] = time.monotonic):
        self.mesh_source = mesh_source
        self.flows = list(flows)
        self.access_control = access_control
        self.stable = stable
        self.canary = canary
        self.clock = clock
        self._lock = threading.Lock()
        self._counted_until: float | None = None
        self._requests: dict[tuple[Edge, bool], float] = {}  # (edge, success) -> cumulative count
        self._buckets: dict[Edge, list[float]] = {}  # edge -> cumulative count per bound (+Inf last)
        self._latency_sum: dict[Edge, float] = {}
        self._seen: deque[tuple[float, list[EdgeTraffic]]] = deque(maxlen=MAX_OBSERVATIONS)  # (when, rates then)

    def set_flows(self, flows: Iterable[Flow]) -> None:
        with self._lock:
            self.flows = list(flows)

    # ---- the current steady state -----------------------------------------------------------

    def traffic(self) -> list[EdgeTraffic]:
        """Per-edge rates now, one entry per (source, destination) Deployment pair."""
        mesh = Mesh.from_objects(self.mesh_source())
        rates: dict[Edge, float] = {}
        profiles: dict[Edge, tuple[LatencyProfile, bool]] = {}
        for flow in self.flows:
            source = (flow.namespace, flow.source)
            if source not in mesh.deployments:
                continue
            for destination, share, canary in mesh.destinations(flow):
                edge = Edge(flow.namespace, flow.source, destination[0], destination[1])
                denied = self.access_control and not mesh.allowed(source, destination)
                rates[edge] = rates.get(edge, 0.0) + flow.rps * share
                profiles[edge] = (DENIED, True) if denied else (self.canary if canary else self.stable, False)
        return [EdgeTraffic(edge, rate, *profiles[edge]) for edge, rate in rates.items()]

    # ---- what a window held (the SMI metrics API) ---------------------------------------------

    def observe(self) -> list[EdgeTraffic]:
        """Today's rates, remembered with the time they were seen (so windows can be answered honestly)."""
        traffic = self.traffic()
        with self._lock:
            now = self.clock()
            self._seen.append((now, traffic))
            while len(self._seen) > 1 and self._seen[1][0] <= now - MAX_WINDOW_SECONDS:
                self._seen.popleft()
        return traffic

    def windowed(self, window_seconds: float) -> list[EdgeTraffic]:
        """What the last `window_seconds` carried: one piece per edge and observation, rates scaled by its share.

        Rates hold from the observation that saw them to the next; the first rates seen held
        before it. Summing the pieces of an edge gives its average rate over the window.
        """
        self.observe()
        with self._lock:
            seen = list(self._seen)
            now = self.clock()
        window = max(window_seconds, 1e-9)
        start = now - window
        pieces: list[EdgeTraffic] = []
        for index, (since, traffic) in enumerate(seen):
            until = seen[index + 1][0] if index + 1 < len(seen) else now
            begin = start if index == 0 else max(since, start)
            share = max(0.0, min(until, now) - begin) / window
            if share > 0:
                pieces.extend(EdgeTraffic(t.edge, t.rps * share, t.profile, t.denied) for t in traffic)
        if not pieces:  # the window is shorter than the clock's resolution: today's rates
            pieces = list(seen[-1][1])
        return pieces

    # ---- cumulative counters (Prometheus) -----------------------------------------------------

    def advance(self) -> list[EdgeTraffic]:
        """Add the traffic since the last call at today's rates; returns today's traffic."""
        traffic = self.traffic()
        with self._lock:
            now = self.clock()
            elapsed = 0.0 if self._counted_until is None else max(0.0, now - self._counted_until)
            self._counted_until = now
            for item in traffic:
                count = item.rps * elapsed
                success = count * item.profile.success_rate
                for outcome, amount in ((True, success), (False, count - success)):
                    self._requests[(item.edge, outcome)] = self._requests.get((item.edge, outcome), 0.0) + amount
                buckets = self._buckets.setdefault(item.edge, [0.0] * (len(LINKERD_BUCKETS_MS) + 1))
                for index, bound in enumerate(LINKERD_BUCKETS_MS):
                    buckets[index] += count * item.profile.cdf(bound)
                buckets[-1] += count
                self._latency_sum[item.edge] = self._latency_sum.get(item.edge, 0.0) + count * _mean_ms(item.profile)
        return traffic

    def prometheus_text(self) -> str:
        """Linkerd proxy metrics (outbound per edge, inbound per workload) in the text exposition format."""
        self.advance()
        with self._lock:
            requests = dict(self._requests)
            buckets = {edge: list(values) for edge, values in self._buckets.items()}
            sums = dict(self._latency_sum)
        inbound_requests: dict[tuple[Key, bool], float] = {}
        inbound_buckets: dict[Key, list[float]] = {}
        inbound_sums: dict[Key, float] = {}
        for (edge, success), count in requests.items():
            key = (edge.destination_namespace, edge.destination)
            inbound_requests[(key, success)] = inbound_requests.get((key, success), 0.0) + count
        for edge, values in buckets.items():
            key = (edge.destination_namespace, edge.destination)
            total = inbound_buckets.setdefault(key, [0.0] * len(values))
            for index, value in enumerate(values):
                total[index] += value
            inbound_sums[key] = inbound_sums.get(key, 0.0) + sums.get(edge, 0.0)
        lines = ["# TYPE request_total counter"]
        for edge in sorted(buckets, key=_edge_order):
            lines.append(f"request_total{{{_outbound(edge)}}} {buckets[edge][-1]!r}")
        for key in sorted(inbound_buckets):
            lines.append(f"request_total{{{_inbound(key)}}} {inbound_buckets[key][-1]!r}")
        lines.append("# TYPE response_total counter")
        for (edge, success), count in sorted(requests.items(), key=lambda item: (_edge_order(item[0][0]), item[0][1])):
            lines.append(f"response_total{{{_outbound(edge)},{_classified(success)}}} {count!r}")
        for (key, success), count in sorted(inbound_requests.items()):
            lines.append(f"response_total{{{_inbound(key)},{_classified(success)}}} {count!r}")
        lines.append("# TYPE response_latency_ms histogram")
        for edge in sorted(buckets, key=_edge_order):
            lines.extend(_histogram(_outbound(edge), buckets[edge], sums.get(edge, 0.0)))
        for key in sorted(inbound_buckets):
            lines.extend(_histogram(_inbound(key), inbound_buckets[key], inbound_sums.get(key, 0.0)))
        return "\n".join(lines) + "\n"

    # ---- the SMI metrics API (metrics.smi-spec.io/v1alpha1) ---------------------------------

    def deployment_metrics(self, namespace: str, window_seconds: float, name: str | None = None) -> list[dict]:
        """TrafficMetrics of each Deployment in `namespace` (what it received over the window), or of one."""
        traffic = self.windowed(window_seconds)
        mesh_names = sorted({key[1] for key in Mesh.from_objects(self.mesh_source()).deployments
                             if key[0] == namespace})
        names = [name] if name is not None else mesh_names
        items = []
        for workload in names:
            received = [t for t in traffic if (t.edge.destination_namespace, t.edge.destination) == (namespace,
                                                                                                     workload)]
            items.append(_traffic_metrics(_deployment_ref(namespace, workload), {}, "from", received,
                                          window_seconds))
        return items

    def deployment_edges(self, namespace: str, name: str, window_seconds: float) -> list[dict]:
        """The edges of one Deployment over the window: `from` its callers, `to` what it calls."""
        items = []
        resource = _deployment_ref(namespace, name)
        by_edge: dict[Edge, list[EdgeTraffic]] = {}
        for piece in self.windowed(window_seconds):
            by_edge.setdefault(piece.edge, []).append(piece)
        for edge, pieces in by_edge.items():
            if (edge.destination_namespace, edge.destination) == (namespace, name):
                peer = _deployment_ref(edge.source_namespace, edge.source)
                items.append(_traffic_metrics(resource, peer, "from", pieces, window_seconds))
            if (edge.source_namespace, edge.source) == (namespace, name):
                peer = _deployment_ref(edge.destination_namespace, edge.destination)
                items.append(_traffic_metrics(resource, peer, "to", pieces, window_seconds))
        return items


def _mean_ms(profile: LatencyProfile) -> float:
    knots = ((0.0, 0.0), (profile.p50_ms, 0.5), (profile.p90_ms, 0.9), (profile.p99_ms, 0.99),
             (2 * profile.p99_ms, 1.0))
    return sum((y1 - y0) * (x0 + x1) / 2 for (x0, y0), (x1, y1) in zip(knots, knots[1:], strict=False))


def _edge_order(edge: Edge) -> tuple[str, str, str, str]:
    return (edge.source_namespace, edge.source, edge.destination_namespace, edge.destination)


def _outbound(edge: Edge) -> str:
    return (f'direction="outbound",namespace="{edge.source_namespace}",deployment="{edge.source}",'
            f'dst_namespace="{edge.destination_namespace}",dst_deployment="{edge.destination}",tls="true"')


def _inbound(key: Key) -> str:
    return f'direction="inbound",namespace="{key[0]}",deployment="{key[1]}",tls="true"'


def _classified(success: bool) -> str:
    return 'classification="success",status_code="200"' if success else 'classification="failure",status_code="503"'


def _histogram(labels: str, cumulative: list[float], total_ms: float) -> list[str]:
    lines = [f'response_latency_ms_bucket{{{labels},le="{bound:g}"}} {value!r}'
             for bound, value in zip(LINKERD_BUCKETS_MS, cumulative, strict=False)]
    lines.append(f'response_latency_ms_bucket{{{labels},le="+Inf"}} {cumulative[-1]!r}')
    lines.append(f"response_latency_ms_count{{{labels}}} {cumulative[-1]!r}")
    lines.append(f"response_latency_ms_sum{{{labels}}} {total_ms!r}")
    return lines


def _deployment_ref(namespace: str, name: str) -> dict[str, str]:
    return {"kind": "Deployment", "namespace": namespace, "name": name}


def mixture_quantile(parts: list[tuple[float, LatencyProfile]], quantile: float) -> float:
    """The latency quantile (ms) of several profiles mixed by weight (rate), by bisection."""
    total = sum(weight for weight, _ in parts)
    low, high = 0.0, max(2 * profile.p99_ms for _, profile in parts)
    for _ in range(60):
        middle = (low + high) / 2
        if sum(weight * profile.cdf(middle) for weight, profile in parts) / total < quantile:
            low = middle
        else:
            high = middle
    return high


def _milli(value: float) -> str:
    """A milli-quantity, as smi-metrics emits every value."""
    return f"{round(value * 1000)}m"


def _traffic_metrics(resource: dict[str, str], peer: dict[str, str], direction: str, traffic: list[EdgeTraffic],
                     window_seconds: float) -> dict[str, Any]:
    metrics: list[dict[str, str]] = []
    parts = [(item.rps, item.profile) for item in traffic if item.rps > 0]
    if parts:
        for quantile, label in ((0.99, "p99"), (0.9, "p90"), (0.5, "p50")):
            metrics.append({"name": f"{label}_response_latency", "unit": "ms",
                            "value": _milli(mixture_quantile(parts, quantile))})
        metrics.append({"name": "success_count", "value": _milli(sum(t.success_rps for t in traffic) * window_seconds)})
        metrics.append({"name": "failure_count", "value": _milli(sum(t.failure_rps for t in traffic) * window_seconds)})
    return {
        "kind": "TrafficMetrics",
        "apiVersion": "metrics.smi-spec.io/v1alpha1",
        "metadata": {"name": resource["name"], "namespace": resource["namespace"],
                     "creationTimestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")},
        "resource": resource,
        "edge": {"direction": direction, "resource": peer},
        "timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "window": _go_duration(window_seconds),
        "metrics": metrics,
    }


def _go_duration(seconds: float) -> str:
    whole = int(seconds)
    return f"{whole // 60}m{whole % 60}s" if whole >= 60 else f"{whole}s"


def parse_window(text: str | None, default: float = 30.0) -> float:
    """The `t` parameter (a Go duration) in seconds; smi-metrics falls back to 30s."""
    return go_duration_seconds(text) or default


def simulator_for_objects(objects: Iterable[dict[str, Any]], flows: Iterable[Flow] = DEMO_FLOWS,
                          **options: Any) -> TrafficSimulator:
    """A simulator over a fixed set of objects (tests of the simulator itself)."""
    fixed = list(objects)
    return TrafficSimulator(lambda: fixed, flows, **options)


# ---- serving (the sandbox's hook) ----------------------------------------------------------------

METRICS_API_PREFIX = "/apis/metrics.smi-spec.io/v1alpha1"
PROMETHEUS_PATH = "/simulator/metrics"


def metrics_api_document(simulator: TrafficSimulator, path: str, window_text: str | None) -> dict[str, Any] | None:
    """The answer to a GET under the SMI metrics API for Deployments, or None for paths not served."""
    parts = [part for part in path[len(METRICS_API_PREFIX):].split("/") if part]
    window = parse_window(window_text)
    if len(parts) < 3 or parts[0] != "namespaces" or parts[2] != "deployments":
        return None
    namespace = parts[1]
    if len(parts) == 3:
        items = simulator.deployment_metrics(namespace, window)
        return _metrics_list({"kind": "Deployment", "namespace": namespace}, items)
    name = parts[3]
    if len(parts) == 4:
        return simulator.deployment_metrics(namespace, window, name)[0]
    if len(parts) == 5 and parts[4] == "edges":
        return _metrics_list(_deployment_ref(namespace, name), simulator.deployment_edges(namespace, name, window))
    return None


def _metrics_list(resource: dict[str, str], items: list[dict[str, Any]]) -> dict[str, Any]:
    return {"kind": "TrafficMetricsList", "apiVersion": "metrics.smi-spec.io/v1alpha1", "metadata": {},
            "resource": resource, "items": items}
