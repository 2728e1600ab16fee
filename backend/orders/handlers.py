"""Events the orders service follows: ticket changes, expiries and payment results."""

from __future__ import annotations

from collections.abc import Callable

import structlog

from backend.common.bus import Handler, RetryLater
from backend.common.events import (
    CancelReason,
    ChargeCreated,
    ChargeFailed,
    DomainEvent,
    OrderExpired,
    OrderStatus,
    TicketCreated,
    TicketUpdated,
    UserCreated,
    UserUpdated,
)
from backend.common.ticket_locks import TicketLocks
from backend.common.user_replica import on_user_event
from backend.orders.models import Order, TicketReplica
from backend.orders.service import transition

log = structlog.get_logger(__name__)


def _replica_fields(event: TicketCreated) -> dict[str, object]:
    return {
        "title": event.title,
        "event": event.event.model_dump(mode="python"),
        "price": event.price.model_dump(),
        "seller_id": event.seller_id,
        "owner_id": event.owner_id,
        "status": event.status.value,
        "version": event.version,
    }


async def on_ticket_event(event: TicketCreated) -> None:
    """Apply ticket versions strictly in order: a gap is retried, a duplicate ignored."""
    collection = TicketReplica.get_pymongo_collection()
    if isinstance(event, TicketUpdated):
        result = await collection.update_one(
            {"_id": event.ticket_id, "version": event.version - 1},
            {"$set": _replica_fields(event)},
        )
        if result.matched_count == 1:
            return
        current = await TicketReplica.get(event.ticket_id)
        if current is None or current.version < event.version - 1:
            raise RetryLater(
                f"ticket {event.ticket_id} v{event.version} arrived before its predecessor"
            )
        return  # already applied
    await collection.update_one(
        {"_id": event.ticket_id}, {"$setOnInsert": _replica_fields(event)}, upsert=True
    )


class OrderHandlers:
    def __init__(self, locks: TicketLocks, notify: Callable[[], None]) -> None:
        self.locks = locks
        self.notify = notify

    async def _order(self, order_id: str) -> Order | None:
        try:
            return await Order.get(order_id)
        except Exception:  # noqa: BLE001 - a malformed id in an event: nothing to do
            return None

    async def on_order_expired(self, event: OrderExpired) -> None:
        order = await self._order(event.order_id)
        if order is None or order.status is not OrderStatus.CREATED:
            return  # paid, cancelled or already expired: a late firing changes nothing
        # Take the lock away from the order first (as a cancel does): after this no
        # payment can start. If a payment already holds it, its result decides.
        if not await self.locks.release_order(order.ticket_id, event.order_id):
            holder = await self.locks.holder(order.ticket_id)
            if holder is not None and holder.ref == event.order_id:
                return
        if await transition(order, OrderStatus.EXPIRED, reason=CancelReason.EXPIRED):
            self.notify()

    async def on_charge_created(self, event: ChargeCreated) -> None:
        order = await self._order(event.order_id)
        if order is None or order.status is OrderStatus.COMPLETE:
            return
        if order.status is not OrderStatus.CREATED:
            # The hold protocol makes this impossible; if it happens, the sale stands.
            log.error(
                "orders.charge_for_closed_order", order_id=event.order_id, status=order.status
            )
            await Order.get_pymongo_collection().update_one(
                {"_id": order.id},
                {"$set": {"status": OrderStatus.COMPLETE.value, "version": order.version + 1}},
            )
            return
        await transition(order, OrderStatus.COMPLETE)

    async def on_charge_failed(self, event: ChargeFailed) -> None:
        order = await self._order(event.order_id)
        if order is None or order.status is not OrderStatus.CREATED:
            return
        await self.locks.release_paying(order.ticket_id, event.order_id)
        # A payment can also fail before it took the hold (cut off, then settled by the
        # reconciler): the cancelled order must not keep the ticket locked either.
        await self.locks.release_order(order.ticket_id, event.order_id)
        if await transition(order, OrderStatus.CANCELLED, reason=CancelReason.PAYMENT_FAILED):
            self.notify()

    def registry(self) -> dict[type[DomainEvent], Handler]:
        """Every subscription of the orders service."""
        return {
            UserCreated: on_user_event,
            UserUpdated: on_user_event,
            TicketCreated: on_ticket_event,
            TicketUpdated: on_ticket_event,
            OrderExpired: self.on_order_expired,
            ChargeCreated: self.on_charge_created,
            ChargeFailed: self.on_charge_failed,
        }
