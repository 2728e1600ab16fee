"""My sales as the page shows them: each sale's money and where its payout is, the totals
by payout state, and the payout account (``GET /api/payments/sales``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ticketing_ui.models import money, when
from wire.payments import PayoutAccountPublic, PayoutState, SalePublic, SalesTotals
from wire.values import Money


def day(moment: datetime) -> str:
    return moment.strftime("%d %b %Y")


PAYOUT_LABELS = {
    PayoutState.PENDING: "Pending",
    PayoutState.AVAILABLE: "Available",
    PayoutState.PAID: "Paid",
    PayoutState.REVERSED: "Refunded — not paid",  # refunded before it was paid out
    PayoutState.OWED: "Owed back",  # refunded after: the seller owes the proceeds back
}


def payout_label(sale: SalePublic) -> str:
    """The sale's payout badge: "Pending until 17 Jun 2031", "Paid on 18 Jun 2031"…"""
    if sale.payout is PayoutState.PENDING and sale.payout_due_at is not None:
        return f"Pending until {day(sale.payout_due_at)}"
    if sale.payout is PayoutState.PAID and sale.paid_out_at is not None:
        return f"Paid on {day(sale.paid_out_at)}"
    return PAYOUT_LABELS.get(sale.payout, str(sale.payout).title())


@dataclass
class SaleView:
    order_id: str = ""
    title: str = ""
    event_name: str = ""
    sold_at: str = ""  # ISO-8601, shown in the browser's time zone
    sold_label: str = ""
    list_price_label: str = ""
    seller_fee_label: str = ""
    proceeds_label: str = ""  # "You receive"
    payout: str = "pending"
    payout_label: str = ""
    seats: int = 1
    seats_label: str = ""  # "2 seats" for seats sold together, else ""

    @classmethod
    def of(cls, sale: SalePublic) -> SaleView:
        breakdown, seats = sale.breakdown, len(sale.ticket_ids) or 1
        return cls(
            order_id=sale.order_id,
            title=sale.title,
            event_name=sale.event.name if sale.event else "",
            sold_at=sale.sold_at.isoformat(),
            sold_label=when(sale.sold_at),
            list_price_label=money(breakdown.list_price),
            seller_fee_label=money(breakdown.seller_fee),
            proceeds_label=money(breakdown.proceeds),
            payout=str(sale.payout),
            payout_label=payout_label(sale),
            seats=seats,
            seats_label=f"{seats} seats" if seats > 1 else "",
        )


@dataclass
class TotalsView:
    """A currency's proceeds by payout state."""

    currency: str = "usd"
    pending: str = ""
    available: str = ""
    paid: str = ""
    owed: str = ""

    @classmethod
    def of(cls, totals: SalesTotals) -> TotalsView:
        def label(amount: int) -> str:
            return money(Money(amount=amount, currency=totals.currency))

        return cls(
            currency=totals.currency,
            pending=label(totals.pending),
            available=label(totals.available),
            paid=label(totals.paid),
            owed=label(totals.owed),
        )


def totals_views(totals: list[SalesTotals]) -> list[TotalsView]:
    """One row per currency sold in; nothing sold yet: zeros in dollars."""
    return [TotalsView.of(each) for each in totals or [SalesTotals(currency="usd")]]


def account_state(account: PayoutAccountPublic) -> str:
    """``none`` (no account yet) · ``unfinished`` (onboarding not done) · ``ready``."""
    if account.payouts_enabled:
        return "ready"
    return "unfinished" if account.connected else "none"
