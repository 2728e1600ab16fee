"""Every domain event of the marketplace, as versioned, immutable pydantic models.

Events are named in the past tense. Each carries a unique ``id``, ``occurredAt`` and the
``version`` of its aggregate after the change. ``STREAM`` names the Redis stream the
publishing service writes to; ``EVENT_TYPES`` maps the wire name back to the class.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import ClassVar

from pydantic import AwareDatetime, ConfigDict, Field

from backend.common.schemas import CamelModel


def _new_id() -> str:
    return uuid.uuid4().hex


def utcnow() -> datetime:
    return datetime.now(UTC)


class EventKind(StrEnum):
    CONCERT = "concert"
    SPORT = "sport"
    OTHER = "other"


class TicketStatus(StrEnum):
    AVAILABLE = "available"
    LOCKED = "locked"
    SOLD = "sold"


class CancelReason(StrEnum):
    BUYER = "buyer"
    PAYMENT_FAILED = "payment_failed"
    EXPIRED = "expired"


class OrderStatus(StrEnum):
    CREATED = "created"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    COMPLETE = "complete"


class Money(CamelModel):
    model_config = ConfigDict(frozen=True)

    amount: int = Field(description="Integer minor units (cents)")
    currency: str = Field(min_length=3, max_length=3)


class EventInfo(CamelModel):
    model_config = ConfigDict(frozen=True)

    name: str
    kind: EventKind
    venue: str
    starts_at: AwareDatetime


class DomainEvent(CamelModel):
    model_config = ConfigDict(frozen=True)

    STREAM: ClassVar[str]

    id: str = Field(default_factory=_new_id)
    occurred_at: AwareDatetime = Field(default_factory=utcnow)
    version: int = Field(ge=0)

    @classmethod
    def type_name(cls) -> str:
        return cls.__name__


class UserCreated(DomainEvent):
    STREAM = "users"
    user_id: str
    email: str
    display_name: str


class UserUpdated(UserCreated):
    pass


class TicketCreated(DomainEvent):
    STREAM = "tickets"
    ticket_id: str
    title: str
    event: EventInfo
    section: str | None = None
    row: str | None = None
    seat: str | None = None
    price: Money
    seller_id: str
    owner_id: str
    status: TicketStatus
    locked_until: AwareDatetime | None = None
    order_id: str | None = None


class TicketUpdated(TicketCreated):
    pass


class OrderCreated(DomainEvent):
    STREAM = "orders"
    order_id: str
    ticket_id: str
    buyer_id: str
    seller_id: str
    price: Money
    expires_at: AwareDatetime


class OrderCancelled(DomainEvent):
    STREAM = "orders"
    order_id: str
    ticket_id: str
    buyer_id: str
    reason: CancelReason


class OrderExpired(DomainEvent):
    STREAM = "expiration"
    order_id: str
    ticket_id: str


class ChargeCreated(DomainEvent):
    STREAM = "payments"
    order_id: str
    ticket_id: str
    buyer_id: str
    payment_intent_id: str
    amount: Money


class ChargeFailed(DomainEvent):
    """Not in the original list: the orders service owns the order, so it must learn of a
    declined card to cancel it (reason ``payment_failed``)."""

    STREAM = "payments"
    order_id: str
    ticket_id: str
    buyer_id: str
    message: str


EVENT_TYPES: dict[str, type[DomainEvent]] = {
    cls.type_name(): cls
    for cls in (
        UserCreated,
        UserUpdated,
        TicketCreated,
        TicketUpdated,
        OrderCreated,
        OrderCancelled,
        OrderExpired,
        ChargeCreated,
        ChargeFailed,
    )
}
