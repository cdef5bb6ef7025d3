"""Everything the policy pages derive from the inventory alone, computed once and reused.

The access graph and the rule findings depend only on the rows a reader may see, so they
are built once per (cluster, inventory version, reader's grants) and cached by the selectors;
traffic findings, which change with every metrics refresh, are derived from the cached
`allowed` pairs and workload identities in time proportional to the observed edges.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .findings import (
    Finding,
    ObservedTraffic,
    allowed_pairs,
    rule_findings,
    sorted_findings,
    traffic_findings,
    workload_identities,
    workload_services,
)
from .graph import AccessGraph, access_graph
from .inputs import Identity, PolicyInput


@dataclass
class PolicyAnalysis:
    """The access graph, the rule findings, and what traffic findings need."""

    graph: AccessGraph
    rule_findings: list[Finding]
    allowed: frozenset[tuple[Identity, Identity]]
    identities: dict[tuple[str, str], Identity]
    services: dict[tuple[str, str], tuple[str, ...]]

    def findings(self, observed: Iterable[ObservedTraffic] | None = None, *,
                 access_control: bool = True) -> list[Finding]:
        """Rule findings plus, with access control on, the traffic no rule allows; most serious first."""
        if observed is None or not access_control:
            return list(self.rule_findings)
        return sorted_findings([*self.rule_findings, *traffic_findings(self.allowed, self.identities, observed,
                                                                              self.services)])


def analyse(policy: PolicyInput) -> PolicyAnalysis:
    graph = access_graph(policy)
    return PolicyAnalysis(graph, rule_findings(policy), allowed_pairs(graph), workload_identities(policy),
                          workload_services(policy))
