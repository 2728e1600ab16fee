"""Documents owned by the tickets service."""

from __future__ import annotations

from datetime import datetime

import pymongo
from beanie import Document
from pydantic import Field

from backend.common.clock import utcnow
from backend.common.unit_of_work import Aggregate
from wire.events import Availability, EventFields
from wire.tickets import TicketFields


class Ticket(Document, TicketFields, Aggregate):
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    # Its owner's door code (``backend/tickets/codes.py``), new each time it changes hands
    # here; never in a fact or a public view. ``revoked_codes``: every earlier one.
    code_id: str | None = None
    code_serial: int = 0
    code_issued_at: datetime | None = None
    revoked_codes: list[str] = Field(default_factory=list)
    pending_transfer: str | None = None  # a transfer to a friend waiting for their yes

    class Settings:
        name = "tickets"
        # Embedded value objects (event, price) are stored as on the wire: camelCase.
        indexes = [
            pymongo.IndexModel([("status", 1), ("event.startsAt", 1)]),
            pymongo.IndexModel([("seller_id", 1), ("created_at", -1)]),
            pymongo.IndexModel([("owner_id", 1)]),
            # An event's listings by price, and its availability counted (catalogue.py).
            pymongo.IndexModel([("event.id", 1), ("status", 1), ("price.amount", 1)]),
        ]


class EventRecord(Document, EventFields, Aggregate):
    """An event of the catalogue. ``key`` is its identity for merging duplicates (the
    normalised name, venue, city and start time: ``catalogue.event_key``), unique.
    ``availability`` is recomputed from its tickets whenever one changes, guarded by
    ``availability_seq`` so that a recount based on an older read never wins."""

    key: str
    availability: Availability = Field(default_factory=Availability)
    scanners: list[str] = Field(default_factory=list)  # users who check codes at its doors
    availability_seq: int = 0
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)

    class Settings:
        name = "events"
        indexes = [
            pymongo.IndexModel([("key", 1)], unique=True),
            pymongo.IndexModel([("starts_at", 1)]),
            pymongo.IndexModel([("venue.city", 1), ("starts_at", 1)]),
        ]


class CheckIn(Document):
    """A code used at the door; ``id`` is the code's id."""

    id: str  # type: ignore[assignment]
    ticket_id: str
    event_id: str
    scanner_id: str
    at: datetime = Field(default_factory=lambda: to_ms(utcnow()))

    class Settings:
        name = "checkins"


def to_ms(moment: datetime) -> datetime:
    """As MongoDB keeps it (milliseconds): the first answer and later ones tell one time."""
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)
