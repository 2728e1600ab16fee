"""Documents owned by the tickets service."""

from __future__ import annotations

from datetime import datetime

import pymongo
from beanie import Document
from pydantic import Field

from backend.common.clock import utcnow
from backend.common.unit_of_work import Aggregate
from wire.tickets import TicketFields


class Ticket(Document, TicketFields, Aggregate):
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)

    class Settings:
        name = "tickets"
        # Embedded value objects (event, price) are stored as on the wire: camelCase.
        indexes = [
            pymongo.IndexModel([("status", 1), ("event.startsAt", 1)]),
            pymongo.IndexModel([("seller_id", 1), ("created_at", -1)]),
            pymongo.IndexModel([("owner_id", 1)]),
        ]
