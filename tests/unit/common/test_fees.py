"""The fee rule: integer cents, the percentage rounded half up, the fixed part added."""

from __future__ import annotations

import pytest

from backend.common.fees import FeeRule, FeeSchedule
from backend.common.settings import Settings
from wire.values import Money, PriceBreakdown


def usd(cents: int) -> Money:
    return Money(amount=cents, currency="usd")


@pytest.mark.parametrize(
    ("bps", "fixed", "amount", "fee"),
    [
        (1_000, 150, 5_000, 650),  # 10 % of $50.00 + $1.50
        (1_000, 0, 5, 1),  # 0.5 cent rounds half up
        (1_000, 0, 4, 0),  # 0.4 cent rounds down
        (250, 0, 1_999, 50),  # 49.975 -> 50
        (250, 0, 1_998, 50),  # 49.95 -> 50
        (250, 0, 1_980, 50),  # 49.5 -> 50 (half up, not to even)
        (250, 0, 1_940, 49),  # 48.5 -> 49
        (0, 99, 1, 99),
        (1_000, 150, 0, 0),  # nothing to charge a fee on
    ],
)
def test_a_fee_is_the_percentage_rounded_half_up_plus_the_fixed_part(
    bps: int, fixed: int, amount: int, fee: int
) -> None:
    assert FeeRule(bps, fixed).of(amount) == fee


def test_the_all_in_price_is_the_list_price_plus_the_buyer_fee() -> None:
    fees = FeeSchedule(buyer=FeeRule(1_000, 150), seller=FeeRule(500, 0))
    breakdown = fees.price(usd(5_000))
    assert breakdown.buyer_fee == usd(650)
    assert breakdown.seller_fee == usd(250)
    assert breakdown.total == usd(5_650)
    assert breakdown.proceeds == usd(4_750)
    # what the buyer pays is shared out whole: seller, then the marketplace's two fees
    fees_earned = breakdown.buyer_fee.amount + breakdown.seller_fee.amount
    assert breakdown.proceeds.amount + fees_earned == breakdown.total.amount


def test_the_seller_fee_never_exceeds_the_list_price() -> None:
    fees = FeeSchedule(buyer=FeeRule(0, 0), seller=FeeRule(0, 300))
    assert not fees.covers(usd(300))
    assert fees.covers(usd(301))
    assert fees.price(usd(100)).proceeds == usd(0)


def test_the_defaults_come_from_the_settings() -> None:
    fees = FeeSchedule.of(Settings(buyer_fee_bps=750, seller_fee_fixed_cents=25))
    assert fees.buyer == FeeRule(750, 150)
    assert fees.seller == FeeRule(500, 25)


def test_the_breakdown_travels_with_its_total_and_proceeds() -> None:
    breakdown = FeeSchedule(buyer=FeeRule(1_000, 0), seller=FeeRule(1_000, 0)).price(usd(1_000))
    data = breakdown.model_dump()
    assert data["listPrice"] == {"amount": 1_000, "currency": "usd"}
    assert data["total"] == {"amount": 1_100, "currency": "usd"}
    assert data["proceeds"] == {"amount": 900, "currency": "usd"}
    assert PriceBreakdown.model_validate(data) == breakdown


def test_orders_of_seats_add_their_breakdowns() -> None:
    one = FeeSchedule(buyer=FeeRule(1_000, 150), seller=FeeRule(500, 0)).price(usd(3_333))
    two = one.plus(one)
    assert two.total.amount == 2 * one.total.amount
    assert two.proceeds.amount == 2 * one.proceeds.amount


def test_money_of_two_currencies_never_adds() -> None:
    with pytest.raises(ValueError, match="cannot add"):
        usd(1).plus(Money(amount=1, currency="eur"))
