"""Fair holds, the pure parts: refusals as the API answers them, and the settings read."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from backend.common.errors import Conflict, TooManyRequests
from backend.common.holds import HoldPolicy, Refusal, Reservation
from backend.common.settings import Settings
from backend.orders.fairness import hold_policy, order_quotas
from backend.orders.service import refuse

pytestmark = pytest.mark.unit

POLICY = HoldPolicy(cap=4, cooldown_ms=120_000)


def test_a_cooldown_is_429_with_retry_after_rounded_up() -> None:
    refusal = refuse(Reservation(Refusal.COOLDOWN, 0, wait_ms=1_001, held=2), POLICY)

    assert isinstance(refusal, TooManyRequests)
    assert refusal.headers["Retry-After"] == "2"
    [item] = refusal.items
    assert item.field == "ticketId"
    assert "hold it again in 2 s" in item.message


def test_the_cap_is_409_naming_the_cap_with_retry_after() -> None:
    refusal = refuse(Reservation(Refusal.CAP, 0, wait_ms=899_500, held=4), POLICY)

    assert isinstance(refusal, Conflict)
    assert refusal.headers["Retry-After"] == "900"
    [item] = refusal.items
    assert (item.message, item.field) == (
        "You already hold 4 tickets (at most 4 at once); pay for or cancel one first",
        "ticketId",
    )


def test_the_cap_never_says_retry_after_zero() -> None:
    refusal = refuse(Reservation(Refusal.CAP, 0, wait_ms=0, held=4), POLICY)

    assert refusal.headers["Retry-After"] == "1"


FAIR_ENV = (
    "MAX_OPEN_ORDERS_PER_USER",
    "REHOLD_COOLDOWN_SECONDS",
    "ORDER_RATE_PER_USER",
    "ORDER_RATE_PER_IP",
    "ORDER_RATE_WINDOW_SECONDS",
)


def test_defaults_let_a_human_through_and_stop_a_bot(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in FAIR_ENV:
        monkeypatch.delenv(name, raising=False)

    settings = Settings()

    assert hold_policy(settings) == HoldPolicy(cap=4, cooldown_ms=120_000)
    per_user, per_ip = order_quotas(settings)
    assert (per_user.amount, per_user.per_seconds) == (20, 60)
    assert (per_ip.amount, per_ip.per_seconds) == (300, 60)
    assert per_user.name != per_ip.name


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAX_OPEN_ORDERS_PER_USER", "2")
    monkeypatch.setenv("REHOLD_COOLDOWN_SECONDS", "30")
    monkeypatch.setenv("ORDER_RATE_PER_USER", "5")
    monkeypatch.setenv("ORDER_RATE_PER_IP", "50")
    monkeypatch.setenv("ORDER_RATE_WINDOW_SECONDS", "10")

    settings = Settings()

    assert hold_policy(settings) == HoldPolicy(cap=2, cooldown_ms=30_000)
    assert [(q.amount, q.per_seconds) for q in order_quotas(settings)] == [(5, 10), (50, 10)]


def test_a_cooldown_longer_than_the_ended_holds_are_kept_is_refused() -> None:
    with pytest.raises(ValidationError):
        Settings(rehold_cooldown_seconds=3_601)
