"""The marketplace's fees: a buyer fee on top of the seller's list price and a seller fee
taken from it, each a percentage plus a fixed amount (``BUYER_FEE_BPS`` etc.).

Integer cents throughout. Rounding rule: the percentage part is computed in basis points
and rounded half up to the cent — ``(amount * bps + 5,000) // 10,000`` — then the fixed
part is added; one rule for both fees, so a price and its fees are the same wherever they
are computed. The tickets service prices a ticket once, when it is listed or repriced
(``PriceBreakdown``): what buyers see and orders lock is that all-in total.
"""

from __future__ import annotations

from dataclasses import dataclass

from backend.common.settings import Settings
from wire.values import Money, PriceBreakdown

_BPS = 10_000


@dataclass(frozen=True, slots=True)
class FeeRule:
    bps: int  # the percentage in basis points: 1,000 = 10 %
    fixed_cents: int

    def of(self, amount: int) -> int:
        """The fee on ``amount`` cents (rounded half up to the cent)."""
        if amount <= 0:
            return 0
        return (amount * self.bps + _BPS // 2) // _BPS + self.fixed_cents


@dataclass(frozen=True, slots=True)
class FeeSchedule:
    buyer: FeeRule
    seller: FeeRule

    @classmethod
    def of(cls, settings: Settings) -> FeeSchedule:
        return cls(
            buyer=FeeRule(settings.buyer_fee_bps, settings.buyer_fee_fixed_cents),
            seller=FeeRule(settings.seller_fee_bps, settings.seller_fee_fixed_cents),
        )

    def price(self, list_price: Money) -> PriceBreakdown:
        """The breakdown of a ticket listed at ``list_price``; its ``total`` is what buyers
        pay. The seller fee never exceeds the list price (``covers`` says if it does)."""
        currency = list_price.currency
        return PriceBreakdown(
            list_price=list_price,
            buyer_fee=Money(amount=self.buyer.of(list_price.amount), currency=currency),
            seller_fee=Money(
                amount=min(self.seller.of(list_price.amount), list_price.amount),
                currency=currency,
            ),
        )

    def covers(self, list_price: Money) -> bool:
        """Whether a seller listing at ``list_price`` receives anything at all."""
        return self.seller.of(list_price.amount) < list_price.amount
