"""Events the payments service follows: it keeps a copy of the orders it may charge."""

from __future__ import annotations

from backend.common.bus import Handler, RetryLater
from backend.common.events import (
    CancelReason,
    DomainEvent,
    OrderCancelled,
    OrderCreated,
    OrderStatus,
)
from backend.payments.models import OrderReplica


async def on_order_created(event: OrderCreated) -> None:
    fields = {
        "ticket_id": event.ticket_id,
        "buyer_id": event.buyer_id,
        "price": event.price.model_dump(),
        "status": OrderStatus.CREATED.value,
        "expires_at": event.expires_at,
        "version": event.version,
    }
    await OrderReplica.get_pymongo_collection().update_one(
        {"_id": event.order_id}, {"$setOnInsert": fields}, upsert=True
    )


async def on_order_cancelled(event: OrderCancelled) -> None:
    status = OrderStatus.EXPIRED if event.reason is CancelReason.EXPIRED else OrderStatus.CANCELLED
    # Applied when newer; if OrderCreated has not arrived yet, the retry applies it later.
    result = await OrderReplica.get_pymongo_collection().update_one(
        {"_id": event.order_id, "version": {"$lt": event.version}},
        {"$set": {"status": status.value, "version": event.version}},
    )
    if result.matched_count == 0 and await OrderReplica.get(event.order_id) is None:
        raise RetryLater(f"order {event.order_id} cancelled before it was seen")


def registry() -> dict[type[DomainEvent], Handler]:
    """Every subscription of the payments service."""
    return {OrderCreated: on_order_created, OrderCancelled: on_order_cancelled}
