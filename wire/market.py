"""The market's filters, one definition for the server and its clients.

``GET /api/tickets`` takes these as query parameters (camelCase) and the tickets service
turns them into its database query; a client that learns of a new listing live asks
``matches`` whether it belongs in what it shows. A test holds the two to the same answers.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from wire.base import CamelModel
from wire.tickets import TicketPublic
from wire.values import EventKind


class TicketFilter(CamelModel):
    kind: EventKind | None = None
    q: str | None = None  # inside one of title, event name, venue (case-insensitive)
    starts_after: datetime | None = None
    starts_before: datetime | None = None
    min_price: int | None = None  # cents
    max_price: int | None = None

    def matches(self, ticket: TicketPublic) -> bool:
        if self.kind is not None and ticket.event.kind is not self.kind:
            return False
        needle = (self.q or "").casefold()
        fields = (ticket.title, ticket.event.name, ticket.event.venue)
        if needle and not any(needle in field.casefold() for field in fields):
            return False
        amount = ticket.price.amount
        if self.min_price is not None and amount < self.min_price:
            return False
        if self.max_price is not None and amount > self.max_price:
            return False
        starts = ticket.event.starts_at
        if self.starts_after is not None and starts < self.starts_after:
            return False
        return self.starts_before is None or starts <= self.starts_before

    def query_params(self) -> dict[str, Any]:
        """As ``GET /api/tickets`` reads them."""
        return self.model_dump(mode="json", exclude_none=True)
