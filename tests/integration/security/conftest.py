"""This folder's tests also reach the live gateway: the stack includes every service.
The fuzz tests' tally of examples is reported in the terminal summary."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from backend.common.settings import Settings
from tests.support.fuzzing import FuzzTally
from tests.support.stack import Stack, running_stack

_TALLY = FuzzTally()


@pytest.fixture
async def stack(market_settings: Settings) -> AsyncIterator[Stack]:
    async with running_stack(market_settings) as running:
        yield running


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
