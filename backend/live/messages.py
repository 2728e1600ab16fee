"""What watchers are told: domain facts turned into live messages.

A message body is the JSON frame a client receives, without its ``cursor`` (the journal
adds it). Ticket messages are public, so their ticket is ``TicketPublic``'s JSON: no
buyer's id, no order id; ``order.*`` messages, private to ``users``, tell those.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from backend.common.facts import (
    ChargeCreated,
    OrderCancelled,
    OrderCreated,
    PaymentRefunded,
    PayoutPaid,
    TicketCreated,
)
from backend.common.facts import CodeIssued as CodeIssuedFact
from wire.live import (
    CodeIssued,
    LiveOrder,
    OrderKind,
    OrderMessage,
    TicketLocked,
    TicketMessage,
    TicketPriceChanged,
)
from wire.tickets import TicketPublic
from wire.values import CancelReason, Money, OrderStatus, TicketStatus


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
    event_id: str = ""  # the event of its ticket: the message is for ``event:<id>`` too
    users: tuple[str, ...] = ()  # private audience, or the owners of a ticket (``me``)
    public: bool = True
    ticket_state: TicketState | None = None
    order_state: OrderState | None = None

    @property
    def type(self) -> str:
        return str(self.body["type"])

    def body_json(self) -> str:
        return json.dumps(self.body, separators=(",", ":"))


def ticket_view(fact: TicketCreated, seller_name: str | None) -> TicketPublic:
    """The ticket as the REST API shows it (its JSON names no buyer and no order)."""
    fields = fact.model_dump() | {"id": fact.ticket_id, "seller_name": seller_name}
    return TicketPublic.model_validate(fields)


def public_view(view: dict[str, Any]) -> dict[str, Any]:
    """A journaled ticket view as anyone may see it (views journaled before tickets were
    kept private still name the buyer and the order)."""
    if view.get("orderId") is None and view.get("ownerId") in ("", view.get("sellerId")):
        return view
    return view | {
        "orderId": None,
        "ownerId": view.get("ownerId") if view.get("ownerId") == view.get("sellerId") else "",
    }


def ticket_message(
    previous: dict[str, Any] | None, fact: TicketCreated, seller_name: str | None
) -> LiveMessage | None:
    """The one message a ticket's new version means to watchers (None: nothing visible)."""
    ticket = ticket_view(fact, seller_name)
    view = ticket.model_dump(mode="json")
    status = fact.status
    before = previous["status"] if previous else None
    common = {"ticket_id": fact.ticket_id, "ticket": ticket}
    frame: TicketMessage
    if previous is None or (before == TicketStatus.SOLD and status is TicketStatus.AVAILABLE):
        frame = TicketMessage(type="ticket.listed", **common)
    elif status is TicketStatus.SOLD and before != TicketStatus.SOLD:
        frame = TicketMessage(type="ticket.sold", **common)
    elif (
        status is TicketStatus.LOCKED
        and fact.locked_until is not None
        # A new lock (another order) has its own deadline: the public view names no order.
        and (before != TicketStatus.LOCKED or previous["lockedUntil"] != view["lockedUntil"])
    ):
        frame = TicketLocked(
            type="ticket.locked", locked_until=fact.locked_until, price=fact.price, **common
        )
    elif status is TicketStatus.AVAILABLE and before == TicketStatus.LOCKED:
        frame = TicketMessage(type="ticket.unlocked", **common)
    elif previous["price"] != view["price"]:
        frame = TicketPriceChanged(
            type="ticket.price_changed",
            price=fact.price,
            previous_price=Money.model_validate(previous["price"]),
            **common,
        )
    else:
        frame = TicketMessage(type="ticket.updated", **common)
    return LiveMessage(
        body=frame.body(),
        ticket_id=fact.ticket_id,
        event_id=fact.event.id or "",
        users=tuple(dict.fromkeys((fact.seller_id, fact.owner_id))),
        ticket_state=TicketState(fact.ticket_id, fact.version, view),
    )


def code_issued_message(fact: CodeIssuedFact) -> LiveMessage:
    """To the owner alone; ``ticket_id`` set (a message for a ticket, not a control one)."""
    frame = CodeIssued(ticket_id=fact.ticket_id, serial=fact.serial)
    return LiveMessage(
        body=frame.body(), ticket_id=fact.ticket_id, users=(fact.owner_id,), public=False
    )


def order_created_message(fact: OrderCreated) -> LiveMessage:
    order = LiveOrder(
        id=fact.order_id,
        ticket_id=fact.ticket_id,
        buyer_id=fact.buyer_id,
        seller_id=fact.seller_id,
        status=OrderStatus.CREATED,
        price=fact.price,
        expires_at=fact.expires_at,
    )
    return _order_message("order.created", order)


def _previous(
    previous: dict[str, Any] | None, fact: OrderCancelled | ChargeCreated | PaymentRefunded
) -> LiveOrder:
    if previous is not None:
        return LiveOrder.model_validate(previous)
    return LiveOrder(
        id=fact.order_id,
        ticket_id=fact.ticket_id,
        buyer_id=fact.buyer_id,
        status=OrderStatus.CREATED,
    )


def order_cancelled_message(fact: OrderCancelled, previous: dict[str, Any] | None) -> LiveMessage:
    expired = fact.reason is CancelReason.EXPIRED
    order = _previous(previous, fact).model_copy(
        update={
            "status": OrderStatus.EXPIRED if expired else OrderStatus.CANCELLED,
            "cancel_reason": fact.reason,
        }
    )
    return _order_message("order.expired" if expired else "order.cancelled", order)


def order_completed_message(fact: ChargeCreated, previous: dict[str, Any] | None) -> LiveMessage:
    order = _previous(previous, fact).model_copy(
        update={"status": OrderStatus.COMPLETE, "amount": fact.amount}
    )
    return _order_message("order.completed", order)


def order_refunded_message(fact: PaymentRefunded, previous: dict[str, Any] | None) -> LiveMessage:
    order = _previous(previous, fact).model_copy(update={"refunded": fact.amount})
    return _order_message("order.refunded", order)


def order_paid_out_message(fact: PayoutPaid, previous: dict[str, Any]) -> LiveMessage:
    order = LiveOrder.model_validate(previous).model_copy(update={"paid_out": fact.amount})
    return _order_message("order.paid_out", order, users=(fact.seller_id,))


def _order_message(
    kind: OrderKind, order: LiveOrder, users: tuple[str, ...] | None = None
) -> LiveMessage:
    frame = OrderMessage(type=kind, order_id=order.id, ticket_id=order.ticket_id, order=order)
    body = frame.body()
    parties = dict.fromkeys((order.buyer_id, order.seller_id or ""))
    return LiveMessage(
        body=body,
        ticket_id=order.ticket_id,
        users=users or tuple(u for u in parties if u),
        public=False,
        order_state=OrderState(order.id, body["order"]),
    )
