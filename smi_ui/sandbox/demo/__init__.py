"""The demo world: a realistic sample mesh for the newcomer's dashboard and for tests.

Two namespaces (bookstore, storefront), twelve services with their ServiceAccounts and
Deployments, a canary mid-rollout, an A/B test with `matches`, TrafficTargets over
HTTPRouteGroups and a TCPRoute, and one planted policy mistake for auditors to find.
Written for the smi-sdk-go CRD layout (split v1alpha4, access v1alpha3, specs v1alpha4).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

DEMO_DIR = Path(__file__).resolve().parent
DEMO_FILES = (DEMO_DIR / "bookstore.yaml", DEMO_DIR / "storefront.yaml")
DEMO_LAYOUT = "smi-sdk-go"


def demo_objects() -> list[dict[str, Any]]:
    """Every object of the demo world, namespaces first, in file order."""
    objects = [doc for path in DEMO_FILES for doc in yaml.safe_load_all(path.read_text()) if doc]
    return sorted(objects, key=lambda obj: obj["kind"] != "Namespace")
