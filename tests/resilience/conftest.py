"""The fault suite's scenario table: every scenario records what was injected, how long
recovery took and what was checked; the table is printed at the end of the run (and is
copied into docs/reliability.md)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest


@dataclass
class Scenario:
    name: str
    injected: str
    recovery_seconds: float | None = None
    checked: str = ""
    outcome: str = "not finished"


SCENARIOS: list[Scenario] = []


@pytest.fixture
def scenario(request):
    """Record one scenario; the test fills in recovery time and what it checked."""
    marker = request.node.get_closest_marker("scenario")
    record = Scenario(name=marker.kwargs["name"], injected=marker.kwargs["injected"])
    SCENARIOS.append(record)
    yield record
    if record.outcome == "not finished":
        record.outcome = "failed"


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    marker = item.get_closest_marker("scenario")
    if marker is None or not (report.when == "call" or report.skipped):
        return
    record = next((r for r in SCENARIOS if r.name == marker.kwargs["name"]), None)
    if record is None:
        record = Scenario(marker.kwargs["name"], marker.kwargs["injected"])
        SCENARIOS.append(record)
    if report.skipped:
        reason = report.longrepr[-1] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        record.outcome = f"skipped: {reason.removeprefix('Skipped: ')}"
    elif report.passed:
        record.outcome = "recovered"


def pytest_configure(config):
    config.addinivalue_line("markers", "scenario(name, injected): a fault scenario of the resilience suite")


def pytest_terminal_summary(terminalreporter):
    if not SCENARIOS:
        return
    terminalreporter.section("resilience scenarios")
    terminalreporter.write_line("| scenario | injected | recovery | checked | outcome |")
    terminalreporter.write_line("| --- | --- | --- | --- | --- |")
    for record in SCENARIOS:
        recovery = "-" if record.recovery_seconds is None else (
            f"{record.recovery_seconds:.2f} s" if record.recovery_seconds < 1 else f"{record.recovery_seconds:.1f} s")
        terminalreporter.write_line(
            f"| {record.name} | {record.injected} | {recovery} | {record.checked} | {record.outcome} |"
        )
