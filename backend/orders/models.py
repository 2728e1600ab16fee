"""Documents owned by the orders service."""

from __future__ import annotations

from datetime import datetime

import pymongo
from beanie import Document
from pydantic import Field

from backend.common.events import CancelReason, EventInfo, Money, OrderStatus, TicketStatus, utcnow
from backend.common.outbox import OutboxEntry


class TicketReplica(Document):
    """Local copy of a ticket, applied in version order from TicketCreated/TicketUpdated."""

    id: str  # type: ignore[assignment]
    title: str
    event: EventInfo
    price: Money
    seller_id: str
    owner_id: str
    status: TicketStatus
    version: int

    class Settings:
        name = "ticket_replicas"


class Order(Document):
    ticket_id: str
    buyer_id: str
    seller_id: str
    status: OrderStatus = OrderStatus.CREATED
    price: Money  # the ticket's committed price when the lock was taken
    expires_at: datetime
    ticket_title: str
    event: EventInfo
    cancel_reason: CancelReason | None = None
    version: int = 0
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    outbox: list[OutboxEntry] = Field(default_factory=list)

    class Settings:
        name = "orders"
        indexes = [
            pymongo.IndexModel([("buyer_id", 1), ("created_at", -1)]),
            pymongo.IndexModel([("ticket_id", 1)]),
        ]
