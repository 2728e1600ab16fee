"""Documents owned by the payments service."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from beanie import Document, Indexed
from pydantic import Field

from backend.common.clock import utcnow
from backend.common.ticket_locks import SeatsHeld
from backend.common.unit_of_work import Aggregate
from wire.values import Money, OrderStatus, PaymentStatus


class OrderReplica(Document, SeatsHeld):
    """Local copy of an order, from OrderCreated/OrderCancelled (its seats too)."""

    id: str  # type: ignore[assignment]
    ticket_id: str
    buyer_id: str
    price: Money
    status: OrderStatus
    expires_at: datetime
    version: int

    class Settings:
        name = "order_replicas"


class Payment(Document, SeatsHeld, Aggregate):
    """The charge of one order: of its ticket, or of its seats together (``SeatsHeld``)."""

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

    class Settings:
        name = "payments"
