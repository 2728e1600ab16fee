"""What the pages show: API bodies turned into flat, display-ready views."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

SYMBOLS = {"usd": "$", "eur": "€", "gbp": "£", "cad": "CA$", "aud": "A$", "chf": "CHF "}
KINDS = {"concert": "Concert", "sport": "Sport", "other": "Other"}


def money(price: dict[str, Any]) -> str:
    amount, currency = int(price["amount"]), str(price.get("currency", "usd"))
    return f"{SYMBOLS.get(currency, currency.upper() + ' ')}{amount / 100:,.2f}"


def when(iso: str) -> str:
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        return iso
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
    def of(cls, body: dict[str, Any]) -> TicketView:
        event = body.get("event") or {}
        seat = [
            f"{name} {body[key]}"
            for key, name in (("section", "Section"), ("row", "Row"), ("seat", "Seat"))
            if body.get(key)
        ]
        return cls(
            id=str(body["id"]),
            title=str(body.get("title", "")),
            event_name=str(event.get("name", "")),
            kind=str(event.get("kind", "")),
            kind_label=KINDS.get(str(event.get("kind", "")), "Other"),
            venue=str(event.get("venue", "")),
            starts_at=str(event.get("startsAt", "")),
            starts_label=when(str(event.get("startsAt", ""))),
            seat_label=" · ".join(seat) or "General admission",
            amount=int(body["price"]["amount"]),
            currency=str(body["price"].get("currency", "usd")),
            price_label=money(body["price"]),
            status=str(body.get("status", "available")),
            locked_until_ms=int(body.get("lockedUntilMs") or 0),
            seller_id=str(body.get("sellerId", "")),
            seller_name=str(body.get("sellerName") or "A fan"),
            owner_id=str(body.get("ownerId", "")),
            version=int(body.get("version", 0)),
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
    return ORDER_STATUS.get(status, status)


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
    def of(cls, body: dict[str, Any]) -> OrderView:
        ticket = body.get("ticket") or {}
        event = ticket.get("event") or {}
        status = str(body.get("status", ""))
        return cls(
            id=str(body["id"]),
            ticket_id=str(ticket.get("id", "")),
            title=str(ticket.get("title", "")),
            event_name=str(event.get("name", "")),
            starts_at=str(event.get("startsAt", "")),
            starts_label=when(str(event.get("startsAt", ""))),
            price_label=money(body["price"]),
            status=status,
            status_label=status_label(status, str(body.get("cancelReason") or "")),
            cancel_reason=str(body.get("cancelReason") or ""),
            expires_at_ms=int(body.get("expiresAtMs") or 0),
            buyer_id=str(body.get("buyerId", "")),
            seller_id=str(body.get("sellerId", "")),
            version=int(body.get("version", 0)),
        )

    def merged(self, live: dict[str, Any]) -> OrderView:
        """This order after a live ``order.*`` message, whose ``order`` carries the status
        (and no ticket details). Statuses only move forward: created → a final one."""
        status = str(live.get("status") or self.status)
        if self.status != "created" and status == "created":
            return self
        reason = str(live.get("cancelReason") or "")
        return replace(
            self,
            status=status,
            status_label=status_label(status, reason),
            cancel_reason=reason,
            expires_at_ms=int(live.get("expiresAtMs") or self.expires_at_ms),
        )
