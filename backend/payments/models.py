"""Documents owned by the payments service."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import pymongo
from beanie import Document, Indexed
from pydantic import Field

from backend.common.clock import utcnow
from backend.common.ticket_locks import SeatsHeld
from backend.common.unit_of_work import Aggregate
from backend.payments.ledger import LedgerEntry
from wire.values import Event, Money, OrderStatus, PaymentStatus, PriceBreakdown, Priced


class OrderReplica(Document, SeatsHeld, Priced):
    """Local copy of an order, from OrderCreated/OrderCancelled (its seats too)."""

    id: str  # type: ignore[assignment]
    ticket_id: str
    buyer_id: str
    status: OrderStatus
    expires_at: datetime
    version: int
    # Told by orders since payouts and refunds: who is paid, for which event.
    seller_id: str = ""
    event: Event | None = None
    title: str = ""

    class Settings:
        name = "order_replicas"


class Payment(Document, SeatsHeld, Aggregate):
    """The charge of one order (of its ticket, or of its seats together: ``SeatsHeld``),
    and everything money that follows from it: the seller's payout, the buyer's refund,
    and their ledger entries, each written with the change it records."""

    # One payment per order: the unique index is our idempotency (localstripe ignores keys).
    order_id: Annotated[str, Indexed(unique=True)]
    ticket_id: str
    buyer_id: str
    amount: Money
    status: PaymentStatus = PaymentStatus.PROCESSING
    payment_method_id: str
    payment_intent_id: str | None = None
    client_secret: str | None = None
    failure_message: str | None = None
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    # The sale (from the order): None only for a payment made before fees and payouts.
    breakdown: PriceBreakdown | None = None
    seller_id: str = ""
    title: str = ""
    event: Event | None = None
    entries: list[LedgerEntry] = Field(default_factory=list)
    # The payout: due PAYOUT_DELAY_DAYS after the event; paid by one Connect transfer.
    payout_due_at: datetime | None = None
    transfer_id: str | None = None
    paid_out_at: datetime | None = None
    # The refund (the event was cancelled): requested, then made once.
    refund_requested_at: datetime | None = None
    refund_id: str | None = None
    refunded_at: datetime | None = None
    # The last failure of a payout or refund attempt, for the operator (retried).
    money_error: str | None = None

    @property
    def priced(self) -> PriceBreakdown:
        return self.breakdown or PriceBreakdown.without_fees(self.amount)

    class Settings:
        name = "payments"
        indexes = [
            pymongo.IndexModel([("seller_id", 1), ("created_at", -1)]),
            pymongo.IndexModel([("event.id", 1), ("status", 1)]),
            pymongo.IndexModel([("status", 1), ("payout_due_at", 1)]),
        ]


class PayoutAccount(Document):
    """A seller's Stripe Connect (Express) account; ``id`` is the user id."""

    id: str  # type: ignore[assignment]
    account_id: str
    payouts_enabled: bool = False
    created_at: datetime = Field(default_factory=utcnow)

    class Settings:
        name = "payout_accounts"


class CancelledEvent(Document):
    """An event cancelled, as payments heard it (``id`` is the event id): a charge that
    completes afterwards is refunded too."""

    id: str  # type: ignore[assignment]
    at: datetime = Field(default_factory=utcnow)

    class Settings:
        name = "cancelled_events"
