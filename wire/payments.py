"""Payments as the REST API shows them."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import ConfigDict, Field

from wire.base import CamelModel
from wire.values import Event, Money, PaymentStatus, PriceBreakdown


class PaymentPublic(CamelModel):
    model_config = ConfigDict(from_attributes=True)

    order_id: str
    status: PaymentStatus
    amount: Money
    payment_intent_id: str | None
    client_secret: str | None = Field(
        description="Only while 3-D Secure is needed: finish with Stripe.js, then POST again"
    )
    failure_message: str | None
    created_at: datetime
    updated_at: datetime


class CardSetupPublic(CamelModel):
    client_secret: str = Field(description="Confirm it in the browser with Stripe.js (card)")
    publishable_key: str
    stripe_js_url: str = Field(description="Where the browser loads Stripe.js from")


class PayoutState(StrEnum):
    """Where a sale's proceeds are: ``pending`` until PAYOUT_DELAY_DAYS after the event,
    then ``available`` (paid as soon as the seller has a payout account), ``paid``;
    ``reversed`` when the sale was refunded before the payout, ``owed`` when after it (the
    seller owes the proceeds back)."""

    PENDING = "pending"
    AVAILABLE = "available"
    PAID = "paid"
    REVERSED = "reversed"
    OWED = "owed"


class SalePublic(CamelModel):
    """One sale as its seller sees it in "My sales"."""

    order_id: str
    ticket_ids: list[str]
    title: str
    event: Event | None
    sold_at: datetime
    breakdown: PriceBreakdown  # ``proceeds``: what the seller receives
    payout: PayoutState
    payout_due_at: datetime | None
    paid_out_at: datetime | None
    refunded_at: datetime | None


class SalesTotals(CamelModel):
    """Proceeds by payout state, in cents, per currency."""

    currency: str
    pending: int = 0
    available: int = 0
    paid: int = 0
    owed: int = 0


class PayoutAccountPublic(CamelModel):
    """The seller's payout account (Stripe Connect Express)."""

    connected: bool  # an account exists
    payouts_enabled: bool  # onboarding is complete: transfers can be made
    account_id: str | None = None


class OnboardingLink(CamelModel):
    url: str = Field(description="Stripe's onboarding page; it returns to the web app")
    expires_at: datetime


class RefundProgress(CamelModel):
    """``GET /api/payments/refunds?eventId=``: a cancelled event's refunds (operators)."""

    event_id: str
    cancelled: bool
    paid_orders: int  # sales of the event (refunded or still to refund)
    refunded: int
    pending: int
    refunded_amount: list[Money]
    last_error: str | None = None


class SalesList(CamelModel):
    items: list[SalePublic]
    totals: list[SalesTotals]
    payout_account: PayoutAccountPublic
