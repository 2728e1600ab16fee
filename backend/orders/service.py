"""Use cases of the orders service: buying takes the ticket's lock; nothing else may."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from beanie import PydanticObjectId, SortDirection
from bson.errors import InvalidId

from backend.common.errors import Conflict, Forbidden, NotFound
from backend.common.events import (
    CancelReason,
    DomainEvent,
    OrderCancelled,
    OrderCreated,
    OrderStatus,
    TicketStatus,
)
from backend.common.outbox import OutboxEntry, outbox_push
from backend.common.ticket_locks import HolderKind, TicketLocks
from backend.orders.models import Order, TicketReplica

# How long a purchase waits for this service's copy of the ticket to catch up with an
# edit the tickets service has just committed, before answering "price changed".
REPLICA_CATCH_UP_S = 2.0


def _oid(value: str, what: str, field: str | None = None) -> PydanticObjectId:
    try:
        return PydanticObjectId(value)
    except (InvalidId, TypeError):
        raise NotFound(f"{what} not found", field=field) from None


async def _replica_at(ticket_id: str, version: int) -> TicketReplica | None:
    """The local ticket once it reflects at least ``version`` (None if it never does)."""
    deadline = asyncio.get_running_loop().time() + REPLICA_CATCH_UP_S
    while True:
        replica = await TicketReplica.get(ticket_id)
        if replica is not None and replica.version >= version:
            return replica
        if asyncio.get_running_loop().time() >= deadline:
            return None
        await asyncio.sleep(0.05)


async def create_order(*, buyer_id: str, ticket_id: str, locks: TicketLocks, ttl_s: float) -> Order:
    """Take the ticket's lock (``SET NX PX``) and record the order at the locked price."""
    _oid(ticket_id, "Ticket", field="ticketId")
    ticket = await TicketReplica.get(ticket_id)
    if ticket is None:
        raise NotFound("Ticket not found", field="ticketId")
    if ticket.owner_id == buyer_id:
        raise Conflict("You cannot buy your own ticket", field="ticketId")
    if ticket.status is TicketStatus.SOLD:
        raise Conflict("The ticket is already sold", field="ticketId")
    order_id = PydanticObjectId()
    ttl_ms = int(ttl_s * 1000)
    expires_at = datetime.now(UTC) + timedelta(milliseconds=ttl_ms)
    if not await locks.lock_for_order(ticket_id, str(order_id), ttl_ms):
        holder = await locks.holder(ticket_id)
        if holder is not None and holder.kind is HolderKind.SOLD:
            raise Conflict("The ticket is already sold", field="ticketId")
        if holder is not None and holder.kind is HolderKind.EDIT:
            raise Conflict("The seller is editing this ticket; try again", field="ticketId")
        raise Conflict("The ticket is locked by another buyer", field="ticketId")
    try:
        # The lock is ours: no edit can commit now. Price the order from the latest
        # committed state, which the last edit stamped before letting go of the lock.
        committed = await locks.committed_version(ticket_id)
        current = await _replica_at(ticket_id, committed)
        if current is None:
            raise Conflict("The price changed; reload the ticket and try again", field="ticketId")
        if current.status is TicketStatus.SOLD or current.owner_id == buyer_id:
            raise Conflict("The ticket is no longer for sale", field="ticketId")
        event = OrderCreated(
            order_id=str(order_id),
            version=0,
            ticket_id=ticket_id,
            buyer_id=buyer_id,
            seller_id=current.seller_id,
            price=current.price,
            expires_at=expires_at,
        )
        order = Order(
            id=order_id,
            ticket_id=ticket_id,
            buyer_id=buyer_id,
            seller_id=current.seller_id,
            price=current.price,
            expires_at=expires_at,
            ticket_title=current.title,
            event=current.event,
            outbox=[OutboxEntry.of(event)],
        )
        await order.insert()
    except BaseException:
        await locks.release_order(ticket_id, str(order_id))
        raise
    return order


async def get_order(order_id: str) -> Order:
    order = await Order.get(_oid(order_id, "Order"))
    if order is None:
        raise NotFound("Order not found")
    return order


async def order_for_buyer(*, order_id: str, user_id: str) -> Order:
    order = await get_order(order_id)
    if order.buyer_id != user_id:
        raise Forbidden("This order is not yours")
    return order


async def orders_of(user_id: str) -> list[Order]:
    return (
        await Order.find(Order.buyer_id == user_id)
        .sort([("created_at", SortDirection.DESCENDING), ("_id", SortDirection.DESCENDING)])
        .to_list()
    )


async def transition(
    order: Order, status: OrderStatus, *, reason: CancelReason | None = None
) -> Order | None:
    """Compare-and-set an order's status (and its event) from ``created``; None if it was
    no longer ``created``, which makes every transition idempotent."""
    version = order.version + 1
    changes: dict[str, Any] = {
        "status": status.value,
        "version": version,
        "updated_at": datetime.now(UTC),
    }
    events: list[DomainEvent] = []
    if reason is not None:
        changes["cancel_reason"] = reason.value
        events.append(
            OrderCancelled(
                order_id=str(order.id),
                version=version,
                ticket_id=order.ticket_id,
                buyer_id=order.buyer_id,
                reason=reason,
            )
        )
    update: dict[str, Any] = {"$set": changes}
    if events:
        update["$push"] = outbox_push(*events)
    result = await Order.get_pymongo_collection().update_one(
        {"_id": order.id, "status": OrderStatus.CREATED.value}, update
    )
    if result.modified_count != 1:
        return None
    return await get_order(str(order.id))


async def cancel_order(*, order_id: str, user_id: str, locks: TicketLocks) -> Order:
    """The buyer gives up an unpaid order: the ticket unlocks at once."""
    order = await order_for_buyer(order_id=order_id, user_id=user_id)
    if order.status is not OrderStatus.CREATED:
        raise Conflict(f"The order is {order.status.value} and cannot be cancelled")
    # Take the lock away from the order first: a payment can no longer start after this.
    released = await locks.release_order(order.ticket_id, order_id)
    if not released:
        holder = await locks.holder(order.ticket_id)
        if holder is not None and holder.ref == order_id and holder.kind is not HolderKind.ORDER:
            raise Conflict("The payment of this order is in progress or done")
    cancelled = await transition(order, OrderStatus.CANCELLED, reason=CancelReason.BUYER)
    if cancelled is None:
        latest = await get_order(order_id)
        raise Conflict(f"The order is {latest.status.value} and cannot be cancelled")
    return cancelled
