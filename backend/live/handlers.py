"""Domain events the live gateway turns into messages (its own consumer group)."""

from __future__ import annotations

from backend.common.bus import Handler, RetryLater
from backend.common.events import (
    ChargeCreated,
    DomainEvent,
    OrderCancelled,
    OrderCreated,
    TicketCreated,
    TicketUpdated,
    UserCreated,
    UserUpdated,
)
from backend.common.user_replica import display_names, on_user_event
from backend.live.journal import Journal
from backend.live.messages import (
    order_cancelled_message,
    order_completed_message,
    order_created_message,
    ticket_message,
)


class LiveHandlers:
    def __init__(self, journal: Journal) -> None:
        self.journal = journal

    async def on_ticket_event(self, event: TicketCreated) -> None:
        """Versions in order: the message type depends on the version before."""
        previous = await self.journal.ticket(event.ticket_id)
        known = -1 if previous is None else int(previous["version"])
        if event.version <= known:
            return  # a duplicate
        if isinstance(event, TicketUpdated) and event.version != known + 1:
            raise RetryLater(f"ticket {event.ticket_id} v{event.version} before v{known + 1}")
        names = await display_names([event.seller_id])
        message = ticket_message(previous, event, names.get(event.seller_id))
        if message is not None:
            await self.journal.append(message)

    async def on_order_created(self, event: OrderCreated) -> None:
        await self.journal.append(order_created_message(event))

    async def on_order_cancelled(self, event: OrderCancelled) -> None:
        previous = await self._created(event.buyer_id, event.order_id)
        await self.journal.append(order_cancelled_message(event, previous))

    async def on_charge_created(self, event: ChargeCreated) -> None:
        previous = await self._created(event.buyer_id, event.order_id)
        await self.journal.append(order_completed_message(event, previous))

    async def _created(self, buyer_id: str, order_id: str) -> dict[str, object]:
        """The order as journaled; its creation must be told first (and to the seller)."""
        previous = await self.journal.order(buyer_id, order_id)
        if previous is None:
            raise RetryLater(f"order {order_id} ended before its creation was journaled")
        return previous

    def registry(self) -> dict[type[DomainEvent], Handler]:
        """Every subscription of the live gateway."""
        return {
            UserCreated: on_user_event,
            UserUpdated: on_user_event,
            TicketCreated: self.on_ticket_event,
            TicketUpdated: self.on_ticket_event,
            OrderCreated: self.on_order_created,
            OrderCancelled: self.on_order_cancelled,
            ChargeCreated: self.on_charge_created,
        }
