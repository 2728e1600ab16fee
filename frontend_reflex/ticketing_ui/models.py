"""What the pages show: the API's models (``wire``) turned into flat, display-ready views."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from wire.events import Availability, EventPublic
from wire.live import LiveOrder
from wire.orders import OrderPublic
from wire.tickets import TicketPublic
from wire.values import Event, EventKind, Money

SYMBOLS = {"usd": "$", "eur": "€", "gbp": "£", "cad": "CA$", "aud": "A$", "chf": "CHF "}
KINDS = {kind.value: kind.value.title() for kind in EventKind}
# An event's status as its badge says it ("" for a scheduled one: no badge).
EVENT_STATUS = {"scheduled": "", "postponed": "Postponed", "cancelled": "Cancelled"}


def money(price: Money) -> str:
    symbol = SYMBOLS.get(price.currency, price.currency.upper() + " ")
    return f"{symbol}{price.amount / 100:,.2f}"


def typed_price(price: Money) -> str:
    """A price as a seller types it (``"50.00"``): what an edit or relist form starts with."""
    return f"{price.amount // 100}.{price.amount % 100:02d}"


def when(moment: datetime) -> str:
    return moment.strftime("%a %d %b %Y, %H:%M")


def kind_label(kind: str) -> str:
    return KINDS.get(kind, "Other")  # a kind newer than this app


def event_status_label(status: str) -> str:
    return EVENT_STATUS.get(status, status.title())  # a status newer than this app: as given


def place(venue: str, city: str) -> str:
    return f"{venue}, {city}" if city else venue


def seat_label(section: str | None, row: str | None, seat: str | None) -> str:
    """``"Section C · Row 4 · Seat 11"``, or ``"General admission"``."""
    parts = [(section, "Section"), (row, "Row"), (seat, "Seat")]
    return " · ".join(f"{name} {value}" for value, name in parts if value) or "General admission"


@dataclass
class TicketView:
    id: str = ""
    title: str = ""
    event_name: str = ""
    kind: str = ""
    kind_label: str = ""
    venue: str = ""
    city: str = ""
    place_label: str = ""
    event_id: str = ""
    event_status: str = "scheduled"
    event_status_label: str = ""
    starts_at: str = ""
    starts_label: str = ""
    section: str = ""
    seat_label: str = ""
    amount: int = 0
    currency: str = "usd"
    price_label: str = ""  # all-in: what a buyer pays
    # What it is made of: the seller's list price and the buyer fee on top (together:
    # ``price_label``), the seller fee taken from the list price, and what the seller gets.
    list_price_label: str = ""
    list_price_typed: str = ""  # "50.00": what the edit and relist forms start with
    buyer_fee_label: str = ""
    seller_fee_label: str = ""
    proceeds_label: str = ""
    status: str = "available"
    locked_until_ms: int = 0
    seller_id: str = ""
    seller_name: str = ""
    owner_id: str = ""
    version: int = 0
    row: str = ""
    # A seat of a listing sold together ("" for a ticket sold on its own).
    seat: str = ""
    listing_id: str = ""
    split: str = ""
    listing_size: int = 0

    @classmethod
    def of(cls, ticket: TicketPublic) -> TicketView:
        event, breakdown = ticket.event, ticket.breakdown
        return cls(
            id=ticket.id,
            title=ticket.title,
            event_name=event.name,
            kind=str(event.kind),
            kind_label=kind_label(event.kind),
            venue=event.venue,
            city=event.city,
            place_label=place(event.venue, event.city),
            event_id=event.id or "",
            event_status=str(event.status),
            event_status_label=event_status_label(event.status),
            starts_at=event.starts_at.isoformat(),
            starts_label=when(event.starts_at),
            section=ticket.section or "",
            seat_label=seat_label(ticket.section, ticket.row, ticket.seat),
            amount=ticket.price.amount,
            currency=ticket.price.currency,
            price_label=money(ticket.price),
            list_price_label=money(breakdown.list_price),
            list_price_typed=typed_price(breakdown.list_price),
            buyer_fee_label=money(breakdown.buyer_fee),
            seller_fee_label=money(breakdown.seller_fee),
            proceeds_label=money(breakdown.proceeds),
            status=ticket.status.value,
            locked_until_ms=ticket.locked_until_ms or 0,
            seller_id=ticket.seller_id,
            seller_name=ticket.seller_name or "A fan",
            owner_id=ticket.owner_id,
            version=ticket.version,
            row=ticket.row or "",
            seat=ticket.seat or "",
            listing_id=ticket.listing_id or "",
            split=str(ticket.split or ""),
            listing_size=ticket.listing_size or 0,
        )


@dataclass
class ListingRow:
    """One row of an event page: a ticket sold on its own, or the seats of one listing
    sold together (``listing_id`` set), with how many are free and what one may buy."""

    id: str = ""  # the ticket's id, or the listing's
    listing_id: str = ""
    ticket_id: str = ""  # the ticket, or the listing's first seat (its page)
    title: str = ""
    place_label: str = ""  # "Section C · Row 4 · Seat 11" / "Section C, row 4 · seats 11-14"
    seller_name: str = ""
    seller_id: str = ""  # who sells it (its "Your listing")
    price_label: str = ""  # "$30.00", or "$30.00 each" for seats
    status: str = "available"  # a listing's: available while a seat is free
    locked_until_ms: int = 0
    free: int = 0
    held: int = 0
    sold: int = 0
    free_label: str = ""  # "4 available"
    split_label: str = ""  # the listing's rule in words
    quantities: list[str] = field(default_factory=list)  # what one order may take
    quantity: str = ""  # the one the picker starts at
    picker_key: str = ""  # changes when the choice does: the picker starts afresh


ORDER_STATUS = {
    "created": "Awaiting payment",
    "complete": "Paid",
    "cancelled": "Cancelled",
    "expired": "Expired",
}


CANCEL_REASONS = {"payment_failed": "Card declined", "event_cancelled": "Event cancelled"}


def status_label(status: str, cancel_reason: str) -> str:
    if status == "cancelled" and cancel_reason in CANCEL_REASONS:
        return CANCEL_REASONS[cancel_reason]
    return ORDER_STATUS.get(status, status)  # a status newer than this app: as given


@dataclass
class OrderView:
    id: str = ""
    ticket_id: str = ""
    title: str = ""
    event_name: str = ""
    starts_at: str = ""
    starts_label: str = ""
    price_label: str = ""  # all-in, every seat: what the buyer pays
    list_price_label: str = ""  # the seats' list prices together
    buyer_fee_label: str = ""  # the service fee on them
    status: str = ""
    status_label: str = ""
    cancel_reason: str = ""
    expires_at_ms: int = 0
    buyer_id: str = ""
    seller_id: str = ""
    version: int = 0
    # Seats of a listing bought together: their tickets, and (once read) their labels.
    ticket_ids: list[str] = field(default_factory=list)
    listing_id: str = ""
    seat_count: int = 1
    seats_label: str = ""

    @classmethod
    def of(cls, order: OrderPublic) -> OrderView:
        event = order.ticket.event
        reason = str(order.cancel_reason or "")
        return cls(
            id=order.id,
            ticket_id=order.ticket.id,
            title=order.ticket.title,
            event_name=event.name,
            starts_at=event.starts_at.isoformat(),
            starts_label=when(event.starts_at),
            price_label=money(order.price),
            list_price_label=money(order.breakdown.list_price),
            buyer_fee_label=money(order.breakdown.buyer_fee),
            status=str(order.status),
            status_label=status_label(order.status, reason),
            cancel_reason=reason,
            expires_at_ms=order.expires_at_ms,
            buyer_id=order.buyer_id,
            seller_id=order.seller_id,
            version=order.version,
            ticket_ids=list(order.ticket_ids) or [order.ticket.id],
            listing_id=order.listing_id or "",
            seat_count=len(order.ticket_ids) or 1,
        )

    def merged(self, live: LiveOrder) -> OrderView:
        """This order after a live ``order.*`` message, whose ``order`` carries the status
        (and no ticket details). Statuses only move forward: created → a final one."""
        status = str(live.status)
        if self.status != "created" and status == "created":
            return self
        reason = str(live.cancel_reason or "")
        return replace(
            self,
            status=status,
            status_label=status_label(status, reason),
            cancel_reason=reason,
            expires_at_ms=live.expires_at_ms or self.expires_at_ms,
        )


def availability_label(available: int, min_price: Money | None) -> str:
    """``"3 tickets from $80.00"``, as an event's card and header say it."""
    if available <= 0 or min_price is None:
        return "No tickets for sale"
    noun = "ticket" if available == 1 else "tickets"
    return f"{available} {noun} from {money(min_price)}"


@dataclass
class EventView:
    id: str = ""
    name: str = ""
    performers_label: str = ""
    kind: str = ""
    kind_label: str = ""
    venue: str = ""
    city: str = ""
    place_label: str = ""
    time_zone: str = "UTC"
    starts_at: str = ""
    starts_label: str = ""
    status: str = "scheduled"
    status_label: str = ""
    available: int = 0
    locked: int = 0
    sold: int = 0
    min_amount: int = 0  # cents; 0 when nothing is for sale
    currency: str = ""
    availability_label: str = "No tickets for sale"
    version: int = 0

    @classmethod
    def of(cls, event: EventPublic) -> EventView:
        venue = event.venue
        return cls(
            id=event.id,
            name=event.name,
            performers_label=", ".join(event.performers),
            kind=str(event.kind),
            kind_label=kind_label(event.kind),
            venue=venue.name,
            city=venue.city,
            place_label=place(venue.name, venue.city),
            time_zone=venue.time_zone,
            starts_at=event.starts_at.isoformat(),
            starts_label=when(event.starts_at),
            status=str(event.status),
            status_label=event_status_label(event.status),
            version=event.version,
        ).counted(event.availability)

    def counted(self, availability: Availability) -> EventView:
        """This event with ``availability`` as its counts and its "N tickets from $X"."""
        low = availability.min_price
        return replace(
            self,
            available=availability.available,
            locked=availability.locked,
            sold=availability.sold,
            min_amount=low.amount if low else 0,
            currency=low.currency if low else "",
            availability_label=availability_label(availability.available, low),
        )

    def restated(self, event: Event) -> EventView:
        """This event as a ticket's copy of it says it is now (the tickets service copies
        a postponement or a cancellation onto each of its tickets)."""
        return replace(
            self,
            status=str(event.status),
            status_label=event_status_label(event.status),
            starts_at=event.starts_at.isoformat(),
            starts_label=when(event.starts_at),
        )

    def availability(self) -> Availability:
        low = Money(amount=self.min_amount, currency=self.currency) if self.currency else None
        return Availability(
            available=self.available, locked=self.locked, sold=self.sold, min_price=low
        )
