"""What the pages show: the API's models (``wire``) turned into flat, display-ready views."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from wire.live import LiveOrder
from wire.orders import OrderPublic
from wire.tickets import TicketPublic
from wire.values import Money

SYMBOLS = {"usd": "$", "eur": "€", "gbp": "£", "cad": "CA$", "aud": "A$", "chf": "CHF "}
KINDS = {"concert": "Concert", "sport": "Sport", "other": "Other"}


def money(price: Money) -> str:
    symbol = SYMBOLS.get(price.currency, price.currency.upper() + " ")
    return f"{symbol}{price.amount / 100:,.2f}"


def when(moment: datetime) -> str:
    return moment.strftime("%a %d %b %Y, %H:%M")


@dataclass
class TicketView:
    id: str = ""
    title: str = ""
    event_name: str = ""
    kind: str = ""
    kind_label: str = ""
    venue: str = ""
    starts_at: str = ""
    starts_label: str = ""
    seat_label: str = ""
    amount: int = 0
    currency: str = "usd"
    price_label: str = ""
    status: str = "available"
    locked_until_ms: int = 0
    seller_id: str = ""
    seller_name: str = ""
    owner_id: str = ""
    version: int = 0

    @classmethod
    def of(cls, ticket: TicketPublic) -> TicketView:
        event = ticket.event
        seat = [
            f"{name} {value}"
            for value, name in (
                (ticket.section, "Section"),
                (ticket.row, "Row"),
                (ticket.seat, "Seat"),
            )
            if value
        ]
        return cls(
            id=ticket.id,
            title=ticket.title,
            event_name=event.name,
            kind=str(event.kind),
            kind_label=KINDS.get(event.kind, "Other"),  # a kind newer than this app
            venue=event.venue,
            starts_at=event.starts_at.isoformat(),
            starts_label=when(event.starts_at),
            seat_label=" · ".join(seat) or "General admission",
            amount=ticket.price.amount,
            currency=ticket.price.currency,
            price_label=money(ticket.price),
            status=ticket.status.value,
            locked_until_ms=ticket.locked_until_ms or 0,
            seller_id=ticket.seller_id,
            seller_name=ticket.seller_name or "A fan",
            owner_id=ticket.owner_id,
            version=ticket.version,
        )


ORDER_STATUS = {
    "created": "Awaiting payment",
    "complete": "Paid",
    "cancelled": "Cancelled",
    "expired": "Expired",
}


def status_label(status: str, cancel_reason: str) -> str:
    if status == "cancelled" and cancel_reason == "payment_failed":
        return "Card declined"
    return ORDER_STATUS.get(status, status)  # a status newer than this app: as given


@dataclass
class OrderView:
    id: str = ""
    ticket_id: str = ""
    title: str = ""
    event_name: str = ""
    starts_at: str = ""
    starts_label: str = ""
    price_label: str = ""
    status: str = ""
    status_label: str = ""
    cancel_reason: str = ""
    expires_at_ms: int = 0
    buyer_id: str = ""
    seller_id: str = ""
    version: int = 0

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
            status=str(order.status),
            status_label=status_label(order.status, reason),
            cancel_reason=reason,
            expires_at_ms=order.expires_at_ms,
            buyer_id=order.buyer_id,
            seller_id=order.seller_id,
            version=order.version,
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
