"""The demo world: a realistic sample mesh for the newcomer's dashboard and for tests.

Two namespaces (bookstore, storefront), twelve services with their ServiceAccounts and
Deployments, a canary mid-rollout, an A/B test with `matches`, TrafficTargets over
HTTPRouteGroups and a TCPRoute, and one planted policy mistake for auditors to find.
Authored for the smi-sdk-go CRD layout (split v1alpha4, access v1alpha3, specs v1alpha4)
and converted through the SMI model for clusters that serve other versions.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from smi_ui.smi.codec import parse, serialize
from smi_ui.smi.errors import NotExpressible
from smi_ui.smi.kinds import REGISTRY
from smi_ui.smi.layouts import DEFAULT_LAYOUT, layout

DEMO_DIR = Path(__file__).resolve().parent
DEMO_FILES = (DEMO_DIR / "bookstore.yaml", DEMO_DIR / "storefront.yaml")
DEMO_LAYOUT = DEFAULT_LAYOUT


def demo_objects(layout_name: str = DEMO_LAYOUT) -> list[dict[str, Any]]:
    """Every object of the demo world in versions `layout_name` serves, namespaces first.

    SMI objects whose kind the layout does not serve, or that its version cannot express
    (a TrafficSplit with `matches` on split v1alpha2), are left out.
    """
    authored = [doc for path in DEMO_FILES for doc in yaml.safe_load_all(path.read_text()) if doc]
    served = layout(layout_name)
    objects = []
    for obj in authored:
        if obj["kind"] in REGISTRY:
            kind = served.served(obj["kind"])
            if kind is None:
                continue
            try:
                obj = serialize(parse(obj), kind.preferred_version)
            except NotExpressible:
                continue
        objects.append(obj)
    return sorted(objects, key=lambda obj: obj["kind"] != "Namespace")
