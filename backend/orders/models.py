"""Documents owned by the orders service."""

from __future__ import annotations

from datetime import datetime

import pymongo
from beanie import Document
from pydantic import Field

from backend.common.clock import utcnow
from backend.common.ticket_locks import SeatsHeld
from backend.common.unit_of_work import Aggregate
from wire.orders import OrderTicket
from wire.values import CancelReason, Event, OrderStatus, Priced, SplitRule, TicketStatus


class TicketReplica(Document, Priced):
    """Local copy of a ticket, applied in version order from TicketCreated/TicketUpdated."""

    id: str  # type: ignore[assignment]
    title: str
    event: Event
    seller_id: str
    owner_id: str
    status: TicketStatus
    version: int
    seat: str | None = None
    listing_id: str | None = None  # a seat of a listing sold together
    split: SplitRule | None = None
    listing_size: int | None = None

    class Settings:
        name = "ticket_replicas"
        indexes = [pymongo.IndexModel([("listing_id", 1)])]


class Order(Document, SeatsHeld, Aggregate, Priced):
    """An order of one ticket, or of several seats of one listing (``SeatsHeld``)."""

    ticket_id: str
    buyer_id: str
    seller_id: str
    status: OrderStatus = OrderStatus.CREATED
    # ``price``: the ticket's (the seats' together) committed all-in price when locked.
    expires_at: datetime
    ticket_title: str
    event: Event
    cancel_reason: CancelReason | None = None
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)

    @property
    def ticket(self) -> OrderTicket:
        """The ticket as the order shows it (``wire.orders.OrderPublic.ticket``)."""
        return OrderTicket(id=self.ticket_id, title=self.ticket_title, event=self.event)

    class Settings:
        name = "orders"
        indexes = [
            pymongo.IndexModel([("buyer_id", 1), ("created_at", -1)]),
            pymongo.IndexModel([("ticket_id", 1)]),
            pymongo.IndexModel([("ticket_ids", 1)]),
        ]
