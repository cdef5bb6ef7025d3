"""Every promised protocol feature is claimed by at least one test (the table cannot be incomplete)."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conformance import FEATURES

HERE = Path(__file__).parent


def test_every_feature_is_covered_by_some_test(request):
    modules = {p.stem for p in HERE.glob("test_*.py")}
    collected = {Path(str(item.fspath)).stem for item in request.session.items}
    if not modules <= collected:
        pytest.skip("only part of tests/sandbox was collected")
    claimed = set()
    for item in request.session.items:
        for marker in item.iter_markers("covers"):
            claimed.update(marker.args)
    unclaimed = sorted(set(FEATURES) - claimed)
    assert not unclaimed, f"features no test claims: {unclaimed}"
