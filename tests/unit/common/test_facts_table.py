"""docs/facts.md is what the code says: who publishes and who consumes each fact."""

from __future__ import annotations

from pathlib import Path

import pytest

from backend.common.facts import FACT_TYPES
from tools.facts_table import render, subscriptions_of

pytestmark = pytest.mark.unit

DOC = Path(__file__).resolve().parents[3] / "docs/facts.md"


def test_the_table_in_the_docs_is_the_one_the_code_gives() -> None:
    assert DOC.read_text() == render(), "regenerate: uv run python -m tools.facts_table"


def test_every_fact_has_a_consumer() -> None:
    consumed = {
        subscription.fact
        for service in ("tickets", "orders", "payments", "expiration", "live")
        for subscription in subscriptions_of(service)
    }
    assert set(FACT_TYPES.values()) <= consumed


def test_a_service_without_handlers_consumes_nothing() -> None:
    assert subscriptions_of("auth") == ()
