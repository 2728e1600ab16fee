"""What watchers are told: domain events turned into live messages.

A message body is the JSON frame a client receives, without its ``cursor`` (the journal
adds it). Ticket messages are public; ``order.*`` messages are private to ``users``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from backend.common.events import (
    CancelReason,
    ChargeCreated,
    OrderCancelled,
    OrderCreated,
    TicketCreated,
    TicketStatus,
)


@dataclass(frozen=True, slots=True)
class TicketState:
    ticket_id: str
    version: int
    view: dict[str, Any]


@dataclass(frozen=True, slots=True)
class OrderState:
    order_id: str
    view: dict[str, Any]


@dataclass(frozen=True, slots=True)
class LiveMessage:
    body: dict[str, Any]
    ticket_id: str = ""
    users: tuple[str, ...] = ()  # private audience, or the owners of a ticket (``me``)
    public: bool = True
    ticket_state: TicketState | None = None
    order_state: OrderState | None = None

    @property
    def type(self) -> str:
        return str(self.body["type"])

    def body_json(self) -> str:
        return json.dumps(self.body, separators=(",", ":"))


def _ms(moment: datetime | None) -> int | None:
    return None if moment is None else int(moment.timestamp() * 1000)


def ticket_view(event: TicketCreated, seller_name: str | None) -> dict[str, Any]:
    """The same shape as the REST API's ticket."""
    return {
        "id": event.ticket_id,
        "title": event.title,
        "event": event.event.model_dump(mode="json"),
        "section": event.section,
        "row": event.row,
        "seat": event.seat,
        "price": event.price.model_dump(mode="json"),
        "sellerId": event.seller_id,
        "sellerName": seller_name,
        "ownerId": event.owner_id,
        "status": event.status.value,
        "lockedUntil": event.locked_until.isoformat() if event.locked_until else None,
        "lockedUntilMs": _ms(event.locked_until),
        "orderId": event.order_id,
        "version": event.version,
    }


def ticket_message(
    previous: dict[str, Any] | None, event: TicketCreated, seller_name: str | None
) -> LiveMessage | None:
    """The one message a ticket's new version means to watchers (None: nothing visible)."""
    view = ticket_view(event, seller_name)
    status = event.status
    before = previous["status"] if previous else None
    body: dict[str, Any] = {"ticketId": event.ticket_id}
    if previous is None or (before == TicketStatus.SOLD and status is TicketStatus.AVAILABLE):
        body["type"] = "ticket.listed"
    elif status is TicketStatus.SOLD and before != TicketStatus.SOLD:
        body["type"] = "ticket.sold"
    elif status is TicketStatus.LOCKED and (
        before != TicketStatus.LOCKED or previous["orderId"] != event.order_id
    ):
        body |= {
            "type": "ticket.locked",
            "lockedUntil": view["lockedUntil"],
            "lockedUntilMs": view["lockedUntilMs"],
            "price": view["price"],
        }
    elif status is TicketStatus.AVAILABLE and before == TicketStatus.LOCKED:
        body["type"] = "ticket.unlocked"
    elif previous["price"] != view["price"]:
        body |= {
            "type": "ticket.price_changed",
            "price": view["price"],
            "previousPrice": previous["price"],
        }
    else:
        body["type"] = "ticket.updated"
    body["ticket"] = view
    return LiveMessage(
        body=body,
        ticket_id=event.ticket_id,
        users=tuple(dict.fromkeys((event.seller_id, event.owner_id))),
        ticket_state=TicketState(event.ticket_id, event.version, view),
    )


def order_created_message(event: OrderCreated) -> LiveMessage:
    view = {
        "id": event.order_id,
        "ticketId": event.ticket_id,
        "buyerId": event.buyer_id,
        "sellerId": event.seller_id,
        "status": "created",
        "price": event.price.model_dump(mode="json"),
        "expiresAt": event.expires_at.isoformat(),
        "expiresAtMs": _ms(event.expires_at),
    }
    return _order_message("order.created", event.order_id, view, (event.buyer_id, event.seller_id))


def order_cancelled_message(event: OrderCancelled, previous: dict[str, Any] | None) -> LiveMessage:
    expired = event.reason is CancelReason.EXPIRED
    view = dict(
        previous or {"id": event.order_id, "ticketId": event.ticket_id, "buyerId": event.buyer_id}
    )
    view |= {"status": "expired" if expired else "cancelled", "cancelReason": event.reason.value}
    kind = "order.expired" if expired else "order.cancelled"
    users = (event.buyer_id, str(view.get("sellerId", "")))
    return _order_message(kind, event.order_id, view, users)


def order_completed_message(event: ChargeCreated, previous: dict[str, Any] | None) -> LiveMessage:
    view = dict(
        previous or {"id": event.order_id, "ticketId": event.ticket_id, "buyerId": event.buyer_id}
    )
    view |= {"status": "complete", "amount": event.amount.model_dump(mode="json")}
    users = (event.buyer_id, str(view.get("sellerId", "")))
    return _order_message("order.completed", event.order_id, view, users)


def _order_message(
    kind: str, order_id: str, view: dict[str, Any], users: tuple[str, ...]
) -> LiveMessage:
    return LiveMessage(
        body={"type": kind, "orderId": order_id, "ticketId": view["ticketId"], "order": view},
        ticket_id=str(view["ticketId"]),
        users=tuple(u for u in dict.fromkeys(users) if u),
        public=False,
        order_state=OrderState(order_id, view),
    )
