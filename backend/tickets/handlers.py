"""Events the tickets service follows: orders lock, unlock and buy its tickets."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from backend.common.bus import Subscriptions, subscribe
from backend.common.errors import Conflict
from backend.common.facts import (
    ChargeCreated,
    OrderCancelled,
    OrderCreated,
    UserCreated,
    UserUpdated,
)
from backend.common.ids import object_id_or_none
from backend.common.ticket_locks import HolderKind, TicketLocks
from backend.common.unit_of_work import UnitOfWork
from backend.common.user_replica import on_user_fact
from backend.tickets.models import Ticket
from backend.tickets.service import commit
from wire.values import TicketStatus

_ATTEMPTS = 5

type Change = Callable[[Ticket], Awaitable[dict[str, Any] | None]]


async def _apply(ticket_id: str, change: Change, uow: UnitOfWork) -> None:
    """Apply ``change`` (None = nothing to do) with optimistic retries on the version."""
    oid = object_id_or_none(ticket_id)
    if oid is None:
        return
    for _ in range(_ATTEMPTS):
        ticket = await Ticket.get(oid)
        if ticket is None:
            return
        changes = await change(ticket)
        if changes is None or await commit(ticket, changes, uow) is not None:
            return
    raise Conflict(f"ticket {ticket_id} kept changing")


class TicketHandlers:
    def __init__(self, locks: TicketLocks, uow: UnitOfWork) -> None:
        self.locks = locks
        self.uow = uow

    async def on_order_created(self, fact: OrderCreated) -> None:
        async def lock(ticket: Ticket) -> dict[str, Any] | None:
            if ticket.status is TicketStatus.SOLD or ticket.order_id == fact.order_id:
                return None  # sold meanwhile, or a duplicate
            holder = await self.locks.holder(fact.ticket_id)
            held = holder is not None and holder.ref == fact.order_id
            if not held or holder is None or holder.kind is HolderKind.EDIT:
                return None  # the order already let go (cancelled or expired)
            return {
                "status": TicketStatus.LOCKED.value,
                "locked_until": fact.expires_at,
                "order_id": fact.order_id,
            }

        await _apply(fact.ticket_id, lock, self.uow)

    async def on_order_cancelled(self, fact: OrderCancelled) -> None:
        async def unlock(ticket: Ticket) -> dict[str, Any] | None:
            if ticket.status is not TicketStatus.LOCKED or ticket.order_id != fact.order_id:
                return None
            return {"status": TicketStatus.AVAILABLE.value, "locked_until": None, "order_id": None}

        await _apply(fact.ticket_id, unlock, self.uow)

    async def on_charge_created(self, fact: ChargeCreated) -> None:
        async def sell(ticket: Ticket) -> dict[str, Any] | None:
            if ticket.status is TicketStatus.SOLD and ticket.order_id == fact.order_id:
                return None
            return {
                "status": TicketStatus.SOLD.value,
                "owner_id": fact.buyer_id,
                "order_id": fact.order_id,
                "locked_until": None,
            }

        await _apply(fact.ticket_id, sell, self.uow)

    def subscriptions(self) -> Subscriptions:
        """Every subscription of the tickets service."""
        return [
            subscribe(UserCreated, on_user_fact),
            subscribe(UserUpdated, on_user_fact),
            subscribe(OrderCreated, self.on_order_created),
            subscribe(OrderCancelled, self.on_order_cancelled),
            subscribe(ChargeCreated, self.on_charge_created),
        ]
