"""Sandbox tests: fixtures, and the conformance table built from the tests that passed."""

from __future__ import annotations

import os
from collections import defaultdict
from pathlib import Path

import pytest

from .conformance import FEATURES, VERDICT_AGREEMENT

_passed: dict[str, list[str]] = defaultdict(list)
_failed: dict[str, list[str]] = defaultdict(list)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "covers(*features): protocol features of tests/sandbox/conformance.py")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        for marker in item.iter_markers("covers"):
            unknown = [f for f in marker.args if f not in FEATURES]
            if unknown:
                raise pytest.UsageError(f"{item.nodeid} covers unknown features {unknown}")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):
    report = yield
    if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
        for marker in item.iter_markers("covers"):
            for feature in marker.args:
                target = _passed if report.passed else _failed
                target[feature].append(item.name)
    return report


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not (_passed or _failed):
        return
    write = terminalreporter.write_line
    terminalreporter.section("sandbox conformance")
    width = max(len(f) for f in FEATURES)
    for feature, description in FEATURES.items():
        if _failed.get(feature):
            state = "FAILED "
        elif _passed.get(feature):
            state = "covered"
        else:
            state = "NOT RUN"
        tests = ", ".join(sorted(set(_passed.get(feature, []) + _failed.get(feature, []))))[:70]
        write(f"{state}  {feature:<{width}}  {description}" + (f"  [{tests}]" if tests else ""))
    if VERDICT_AGREEMENT:
        terminalreporter.section("agreement with a real kube-apiserver (real-apiserver-verdicts)")
        for layout, (verdicts, messages, total) in VERDICT_AGREEMENT.items():
            write(f"{layout:<14} verdict+status {verdicts}/{total} ({100 * verdicts / total:.1f}%)  "
                  f"identical kubectl message {messages}/{total} ({100 * messages / total:.1f}%)")


@pytest.fixture(scope="session")
def smi_spec_dir() -> Path:
    """The shared SMI test data (read only, never copied): ../shared/smi-spec or $SMI_SPEC_DIR."""
    default = Path(__file__).resolve().parents[3] / "shared" / "smi-spec"
    path = Path(os.environ.get("SMI_SPEC_DIR", default))
    if not (path / "real-apiserver-verdicts").is_dir():
        pytest.skip(f"SMI test data not found at {path} (set SMI_SPEC_DIR to the smi-spec folder)")
    return path
