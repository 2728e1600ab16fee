"""Events the expiration worker follows: new orders get a deadline, closed ones lose it."""

from __future__ import annotations

from backend.common.bus import Handler
from backend.common.events import DomainEvent, OrderCancelled, OrderCreated
from backend.expiration.scheduler import ExpirationScheduler


class ExpirationHandlers:
    def __init__(self, scheduler: ExpirationScheduler) -> None:
        self.scheduler = scheduler

    async def on_order_created(self, event: OrderCreated) -> None:
        await self.scheduler.schedule(
            order_id=event.order_id, ticket_id=event.ticket_id, deadline=event.expires_at
        )

    async def on_order_cancelled(self, event: OrderCancelled) -> None:
        await self.scheduler.unschedule(event.order_id)

    def registry(self) -> dict[type[DomainEvent], Handler]:
        """Every subscription of the expiration worker."""
        return {
            OrderCreated: self.on_order_created,
            OrderCancelled: self.on_order_cancelled,
        }
