"""Events the tickets service follows: orders lock, unlock and buy its tickets."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from beanie import PydanticObjectId
from bson.errors import InvalidId

from backend.common.bus import Handler
from backend.common.errors import Conflict
from backend.common.events import (
    ChargeCreated,
    DomainEvent,
    OrderCancelled,
    OrderCreated,
    TicketStatus,
    TicketUpdated,
    UserCreated,
    UserUpdated,
)
from backend.common.ticket_locks import HolderKind, TicketLocks
from backend.common.user_replica import on_user_event
from backend.tickets.models import Ticket
from backend.tickets.service import commit

_ATTEMPTS = 5

type Change = Callable[[Ticket], Awaitable[dict[str, Any] | None]]


async def _apply(ticket_id: str, change: Change) -> bool:
    """Apply ``change`` (None = nothing to do) with optimistic retries on the version."""
    try:
        oid = PydanticObjectId(ticket_id)
    except (InvalidId, TypeError):
        return False
    for _ in range(_ATTEMPTS):
        ticket = await Ticket.get(oid)
        if ticket is None:
            return False
        changes = await change(ticket)
        if changes is None:
            return False
        try:
            await commit(ticket, changes, TicketUpdated)
            return True
        except Conflict:
            continue
    raise Conflict(f"ticket {ticket_id} kept changing")


class TicketHandlers:
    def __init__(self, locks: TicketLocks, notify: Callable[[], None]) -> None:
        self.locks = locks
        self.notify = notify

    async def on_order_created(self, event: OrderCreated) -> None:
        async def lock(ticket: Ticket) -> dict[str, Any] | None:
            if ticket.status is TicketStatus.SOLD or ticket.order_id == event.order_id:
                return None  # sold meanwhile, or a duplicate
            holder = await self.locks.holder(event.ticket_id)
            held = holder is not None and holder.ref == event.order_id
            if not held or holder is None or holder.kind is HolderKind.EDIT:
                return None  # the order already let go (cancelled or expired)
            return {
                "status": TicketStatus.LOCKED.value,
                "locked_until": event.expires_at,
                "order_id": event.order_id,
            }

        if await _apply(event.ticket_id, lock):
            self.notify()

    async def on_order_cancelled(self, event: OrderCancelled) -> None:
        async def unlock(ticket: Ticket) -> dict[str, Any] | None:
            if ticket.status is not TicketStatus.LOCKED or ticket.order_id != event.order_id:
                return None
            return {"status": TicketStatus.AVAILABLE.value, "locked_until": None, "order_id": None}

        if await _apply(event.ticket_id, unlock):
            self.notify()

    async def on_charge_created(self, event: ChargeCreated) -> None:
        async def sell(ticket: Ticket) -> dict[str, Any] | None:
            if ticket.status is TicketStatus.SOLD and ticket.order_id == event.order_id:
                return None
            return {
                "status": TicketStatus.SOLD.value,
                "owner_id": event.buyer_id,
                "order_id": event.order_id,
                "locked_until": None,
            }

        if await _apply(event.ticket_id, sell):
            self.notify()

    def registry(self) -> dict[type[DomainEvent], Handler]:
        """Every subscription of the tickets service."""
        return {
            UserCreated: on_user_event,
            UserUpdated: on_user_event,
            OrderCreated: self.on_order_created,
            OrderCancelled: self.on_order_cancelled,
            ChargeCreated: self.on_charge_created,
        }
