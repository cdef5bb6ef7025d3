"""Go durations as the SMI metrics API writes its windows."""

import pytest

from smi_ui.smi.durations import go_duration_seconds


@pytest.mark.parametrize(("text", "seconds"), [("30s", 30.0), ("1m0s", 60.0), ("1h2m3.5s", 3723.5), ("500ms", 0.5),
                                               ("1m30s", 90.0)])
def test_durations_are_read_in_seconds(text, seconds):
    assert go_duration_seconds(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", [None, "", "30", "s", "1x", "0s", "1.2.3s", "-5s"])
def test_unreadable_or_empty_durations_are_none(text):
    assert go_duration_seconds(text) is None
