"""Events the expiration worker follows: new orders get a deadline, closed ones lose it."""

from __future__ import annotations

from backend.common.bus import Subscriptions, subscribe
from backend.common.facts import OrderCancelled, OrderCreated
from backend.expiration.scheduler import ExpirationScheduler


class ExpirationHandlers:
    def __init__(self, scheduler: ExpirationScheduler) -> None:
        self.scheduler = scheduler

    async def on_order_created(self, fact: OrderCreated) -> None:
        await self.scheduler.schedule(
            order_id=fact.order_id, ticket_id=fact.ticket_id, deadline=fact.expires_at
        )

    async def on_order_cancelled(self, fact: OrderCancelled) -> None:
        await self.scheduler.unschedule(fact.order_id)

    def subscriptions(self) -> Subscriptions:
        """Every subscription of the expiration worker."""
        return [
            subscribe(OrderCreated, self.on_order_created),
            subscribe(OrderCancelled, self.on_order_cancelled),
        ]
