"""Fixtures of the SMI model tests, and the conformance report printed at the end of every run."""

from __future__ import annotations

import pytest

_REPORT: list[str] = []


@pytest.fixture
def report() -> list[str]:
    """Lines appended here are printed in the terminal summary, whether or not output is captured."""
    return _REPORT


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _REPORT:
        terminalreporter.section("SMI conformance")
        for line in _REPORT:
            terminalreporter.write_line(line)
