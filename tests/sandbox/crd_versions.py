"""The TrafficSplit CRD serving chosen versions, as published (v1alpha2's schema has no `matches`)."""

from __future__ import annotations

import copy
from typing import Any

from smi_ui.sandbox.crds import crd_objects
from smi_ui.sandbox.server import project_schemas
from smi_ui.smi.layouts import layout

#: The layout whose CRD publishes each version's schema.
PUBLISHERS = {"v1alpha2": "osm", "v1alpha4": "smi-sdk-go"}


def split_crd(*versions: str, storage: str | None = None) -> dict[str, Any]:
    """The TrafficSplit CRD serving `versions` (the first is the storage version unless `storage` says)."""
    crd: dict[str, Any] | None = None
    entries = []
    for version in versions:
        found = next(c for c in crd_objects(layout(PUBLISHERS[version]), project_schemas())
                     if c["metadata"]["name"] == "trafficsplits.split.smi-spec.io")
        crd = crd or copy.deepcopy(found)
        entry = copy.deepcopy(next(v for v in found["spec"]["versions"] if v["name"] == version))
        entry["storage"] = version == (storage or versions[0])
        entries.append(entry)
    assert crd is not None
    crd["spec"]["versions"] = entries
    return crd
