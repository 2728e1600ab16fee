"""This folder's tests also reach the live gateway: the stack includes every service.
The fuzz tests' tally of examples is reported in the terminal summary."""

from __future__ import annotations

import pytest

from tests.support.fuzzing import FuzzTally
from tests.support.stack import every_service  # noqa: F401 - the stack: every service

_TALLY = FuzzTally()


@pytest.fixture(scope="session")
def fuzz_tally() -> FuzzTally:
    return _TALLY


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _TALLY.examples:
        per_service = ", ".join(f"{name} {count}" for name, count in _TALLY.examples.items())
        terminalreporter.write_line(
            f"fuzz examples: {_TALLY.examples.total()} in {_TALLY.seconds:.0f}s "
            f"({per_service}); failures: {len(_TALLY.failures)}"
        )
