"""Events the orders service follows: ticket changes, expiries and payment results."""

from __future__ import annotations

import structlog

from backend.common.bus import RetryLater, Subscriptions, subscribe
from backend.common.facts import (
    ChargeCreated,
    ChargeFailed,
    OrderExpired,
    TicketCreated,
    TicketUpdated,
    UserCreated,
    UserUpdated,
)
from backend.common.ids import object_id_or_none
from backend.common.ticket_locks import TicketLocks
from backend.common.unit_of_work import UnitOfWork
from backend.common.user_replica import on_user_fact
from backend.orders.cards import Terms, TicketCards
from backend.orders.models import Order, TicketReplica
from backend.orders.service import end_hold, transition
from wire.values import CancelReason, OrderStatus, TicketStatus

log = structlog.get_logger(__name__)


def _replica_fields(fact: TicketCreated) -> dict[str, object]:
    return {
        "title": fact.title,
        "event": fact.event.model_dump(mode="python"),
        "price": fact.price.model_dump(),
        "breakdown": fact.breakdown.model_dump(),
        "seller_id": fact.seller_id,
        "owner_id": fact.owner_id,
        "status": fact.status.value,
        "version": fact.version,
        "seat": fact.seat,
        "listing_id": fact.listing_id,
        "split": None if fact.split is None else fact.split.value,
        "listing_size": fact.listing_size,
    }


async def apply_to_replica(fact: TicketCreated) -> None:
    """Apply ticket versions strictly in order: a gap is retried, a duplicate ignored."""
    collection = TicketReplica.get_pymongo_collection()
    if isinstance(fact, TicketUpdated):
        result = await collection.update_one(
            {"_id": fact.ticket_id, "version": fact.version - 1},
            {"$set": _replica_fields(fact)},
        )
        if result.matched_count == 1:
            return
        current = await TicketReplica.get(fact.ticket_id)
        if current is None or current.version < fact.version - 1:
            raise RetryLater(
                f"ticket {fact.ticket_id} v{fact.version} arrived before its predecessor"
            )
        return  # already applied
    await collection.update_one(
        {"_id": fact.ticket_id}, {"$setOnInsert": _replica_fields(fact)}, upsert=True
    )


class OrderHandlers:
    def __init__(self, locks: TicketLocks, uow: UnitOfWork, cards: TicketCards) -> None:
        self.locks = locks
        self.uow = uow
        self.cards = cards

    async def on_ticket_fact(self, fact: TicketCreated) -> None:
        """The replica first (in version order), then the card: a card is never ahead of
        the replica, and a redelivered fact writes a card that failed to be written."""
        await apply_to_replica(fact)
        await self.cards.put(
            fact.ticket_id,
            fact.listing_id,
            version=fact.version,
            owner_id=fact.owner_id,
            status=fact.status.value,
            terms=Terms.of(fact),
        )
        if fact.status is TicketStatus.VOID:
            await self._cancel_holds_on(fact.ticket_id)

    async def _cancel_holds_on(self, ticket_id: str) -> None:
        """The ticket's event was cancelled: an unpaid order on it ends now (its lock and
        the buyer's hold with it). One whose payment already started is left to the
        payment's result."""
        held = {"$or": [{"ticket_id": ticket_id}, {"ticket_ids": ticket_id}]}
        for order in await Order.find({**held, "status": "created"}).to_list():
            if not await self.locks.release_order(order.seats, str(order.id)):
                holder = await self.locks.holder(order.ticket_id, order.listing_id)
                if holder is not None and holder.ref == str(order.id):
                    continue  # paying: ChargeCreated or ChargeFailed decides
            await end_hold(order, self.locks, sold=False)
            await transition(
                order, OrderStatus.CANCELLED, self.uow, reason=CancelReason.EVENT_CANCELLED
            )

    async def _order(self, order_id: str) -> Order | None:
        oid = object_id_or_none(order_id)  # a malformed id in a fact: nothing to do
        return await Order.get(oid) if oid is not None else None

    async def on_order_expired(self, fact: OrderExpired) -> None:
        order = await self._order(fact.order_id)
        if order is None or order.status is not OrderStatus.CREATED:
            return  # paid, cancelled or already expired: a late firing changes nothing
        # Take the lock away from the order first (as a cancel does): after this no
        # payment can start. If a payment already holds it, its result decides.
        if not await self.locks.release_order(order.seats, fact.order_id):
            holder = await self.locks.holder(order.ticket_id, order.listing_id)
            if holder is not None and holder.ref == fact.order_id:
                return
        await end_hold(order, self.locks, sold=False)
        await transition(order, OrderStatus.EXPIRED, self.uow, reason=CancelReason.EXPIRED)

    async def on_charge_created(self, fact: ChargeCreated) -> None:
        order = await self._order(fact.order_id)
        if order is None:
            return
        # The payments service ended the hold when it sold the ticket; a crash in between
        # is made good here (idempotent).
        await end_hold(order, self.locks, sold=True)
        if order.status is OrderStatus.COMPLETE:
            return
        if order.status is not OrderStatus.CREATED:
            # The hold protocol makes this impossible; if it happens, the sale stands.
            log.error("orders.charge_for_closed_order", order_id=fact.order_id, status=order.status)
            await self.uow.commit(order, {"status": OrderStatus.COMPLETE.value}, expect={})
            return
        await transition(order, OrderStatus.COMPLETE, self.uow)

    async def on_charge_failed(self, fact: ChargeFailed) -> None:
        order = await self._order(fact.order_id)
        if order is None or order.status is not OrderStatus.CREATED:
            return
        await self.locks.release_paying(order.seats, fact.order_id)
        # A payment can also fail before it took the hold (cut off, then settled by the
        # reconciler): the cancelled order must not keep the ticket locked either.
        await self.locks.release_order(order.seats, fact.order_id)
        await end_hold(order, self.locks, sold=False)
        await transition(order, OrderStatus.CANCELLED, self.uow, reason=CancelReason.PAYMENT_FAILED)

    def subscriptions(self) -> Subscriptions:
        """Every subscription of the orders service."""
        return [
            subscribe(UserCreated, on_user_fact),
            subscribe(UserUpdated, on_user_fact),
            subscribe(TicketCreated, self.on_ticket_fact),
            subscribe(TicketUpdated, self.on_ticket_fact),
            subscribe(OrderExpired, self.on_order_expired),
            subscribe(ChargeCreated, self.on_charge_created),
            subscribe(ChargeFailed, self.on_charge_failed),
        ]
