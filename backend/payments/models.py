"""Documents owned by the payments service."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from beanie import Document, Indexed
from pydantic import Field

from backend.common.events import Money, OrderStatus, utcnow
from backend.common.outbox import OutboxEntry


class OrderReplica(Document):
    """Local copy of an order, from OrderCreated/OrderCancelled."""

    id: str  # type: ignore[assignment]
    ticket_id: str
    buyer_id: str
    price: Money
    status: OrderStatus
    expires_at: datetime
    version: int

    class Settings:
        name = "order_replicas"


class PaymentStatus(StrEnum):
    PROCESSING = "processing"
    REQUIRES_ACTION = "requires_action"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    REFUNDED = "refunded"


class Payment(Document):
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
    version: int = 0
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    outbox: list[OutboxEntry] = Field(default_factory=list)

    class Settings:
        name = "payments"
