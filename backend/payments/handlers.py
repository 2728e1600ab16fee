"""Events the payments service follows: it keeps a copy of the orders it may charge."""

from __future__ import annotations

from backend.common.bus import RetryLater, Subscriptions, subscribe
from backend.common.facts import OrderCancelled, OrderCreated
from backend.payments.models import OrderReplica
from wire.values import CancelReason, OrderStatus


class PaymentHandlers:
    """The payments service's copy of orders (it needs no other state)."""

    async def on_order_created(self, fact: OrderCreated) -> None:
        fields = {
            "ticket_id": fact.ticket_id,
            "ticket_ids": fact.ticket_ids,
            "listing_id": fact.listing_id,
            "buyer_id": fact.buyer_id,
            "price": fact.price.model_dump(),
            "status": OrderStatus.CREATED.value,
            "expires_at": fact.expires_at,
            "version": fact.version,
        }
        await OrderReplica.get_pymongo_collection().update_one(
            {"_id": fact.order_id}, {"$setOnInsert": fields}, upsert=True
        )

    async def on_order_cancelled(self, fact: OrderCancelled) -> None:
        status = (
            OrderStatus.EXPIRED if fact.reason is CancelReason.EXPIRED else OrderStatus.CANCELLED
        )
        # Applied when newer; if OrderCreated has not arrived yet, the retry applies it later.
        result = await OrderReplica.get_pymongo_collection().update_one(
            {"_id": fact.order_id, "version": {"$lt": fact.version}},
            {"$set": {"status": status.value, "version": fact.version}},
        )
        if result.matched_count == 0 and await OrderReplica.get(fact.order_id) is None:
            raise RetryLater(f"order {fact.order_id} cancelled before it was seen")

    def subscriptions(self) -> Subscriptions:
        """Every subscription of the payments service."""
        return [
            subscribe(OrderCreated, self.on_order_created),
            subscribe(OrderCancelled, self.on_order_cancelled),
        ]
