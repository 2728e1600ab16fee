"""Facts the tickets service follows: orders lock, unlock and buy its tickets; its tickets
follow their event (``catalogue.py``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from backend.common.bus import Subscriptions, subscribe
from backend.common.errors import Conflict
from backend.common.facts import (
    ChargeCreated,
    EventUpdated,
    OrderCancelled,
    OrderCreated,
    TicketCreated,
    TicketUpdated,
    UserCreated,
    UserUpdated,
)
from backend.common.ids import object_id_or_none
from backend.common.ticket_locks import HolderKind, TicketLocks
from backend.common.unit_of_work import UnitOfWork
from backend.common.user_replica import on_user_fact
from backend.tickets import catalogue, codes
from backend.tickets.models import EventRecord, Ticket
from backend.tickets.recounts import Recounts
from backend.tickets.service import commit
from wire.tickets import TicketFields
from wire.values import Event, EventStatus, TicketStatus

_ATTEMPTS = 5
_ENDED = (TicketStatus.SOLD, TicketStatus.VOID)

type Change = Callable[[Ticket], Awaitable[dict[str, Any] | None]]


def _follows(ticket: TicketFields, event: Event) -> dict[str, Any] | None:
    """What a ticket must change to follow its event (None: nothing): the event's copy,
    and, for a cancelled event, the ticket becomes void: never for sale again, and a sold
    one no longer valid (its buyer is refunded: ``backend/payments/refunds.py``). A
    copy newer than ``event`` (written from a later read, on another replica) stays."""
    if ticket.event.version > event.version:
        return None
    changes: dict[str, Any] = {}
    if ticket.event != event:
        changes["event"] = event.model_dump(mode="python", by_alias=True)
    if event.status == EventStatus.CANCELLED and ticket.status is not TicketStatus.VOID:
        changes |= {"status": TicketStatus.VOID.value, "locked_until": None}
    return changes or None


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


async def follow_event(
    event_id: str | None, uow: UnitOfWork, *, every_ticket: bool = False
) -> EventRecord | None:
    """Bring the event's tickets up to date with it (None: no such event): those that
    carry an older copy of it, or ``every_ticket`` (an ``EventUpdated``). A ticket written
    from an older read of the event (a lock that won its compare-and-set over the event's
    update) is found the next time the event is settled, as its own fact marks it. One
    that changes meanwhile is left to its next fact."""
    record = await catalogue.find_event(event_id)
    if record is None:
        return None
    event = catalogue.snapshot(record)
    found: dict[str, Any] = {"event.id": event.id}
    if not every_ticket:
        behind: dict[str, Any] = {"event.version": {"$lt": event.version}}
        if event.status == EventStatus.CANCELLED:
            behind = {"$or": [behind, {"status": {"$ne": TicketStatus.VOID.value}}]}
        found |= behind
    for ticket in await Ticket.find(found).to_list():
        changes = _follows(ticket, event)
        if changes is not None:
            await commit(ticket, changes, uow)
    return record


async def settle(uow: UnitOfWork, event_id: str) -> None:
    """What a recount round does for a marked event: its tickets follow it, then its
    availability is counted (``recounts.py``)."""
    if await follow_event(event_id, uow) is not None:
        await catalogue.recount(event_id)


class TicketHandlers:
    def __init__(self, locks: TicketLocks, uow: UnitOfWork, recounts: Recounts) -> None:
        self.locks = locks
        self.uow = uow
        self.recounts = recounts

    async def on_order_created(self, fact: OrderCreated) -> None:
        async def lock(ticket: Ticket) -> dict[str, Any] | None:
            if ticket.status in _ENDED or ticket.order_id == fact.order_id:
                return None  # sold or void meanwhile, or a duplicate
            holder = await self.locks.holder(str(ticket.id), fact.listing_id)
            held = holder is not None and holder.ref == fact.order_id
            if not held or holder is None or holder.kind is HolderKind.EDIT:
                return None  # the order already let go (cancelled or expired)
            return {
                "status": TicketStatus.LOCKED.value,
                "locked_until": fact.expires_at,
                "order_id": fact.order_id,
            }

        for ticket_id in fact.seats.ticket_ids:  # each seat of the order
            await _apply(ticket_id, lock, self.uow)

    async def on_order_cancelled(self, fact: OrderCancelled) -> None:
        async def unlock(ticket: Ticket) -> dict[str, Any] | None:
            if ticket.status is not TicketStatus.LOCKED or ticket.order_id != fact.order_id:
                return None
            return {"status": TicketStatus.AVAILABLE.value, "locked_until": None, "order_id": None}

        for ticket_id in fact.seats.ticket_ids:
            await _apply(ticket_id, unlock, self.uow)

    async def on_charge_created(self, fact: ChargeCreated) -> None:
        async def sell(ticket: Ticket) -> dict[str, Any] | None:
            if ticket.status is TicketStatus.SOLD and ticket.order_id == fact.order_id:
                return None
            return {
                "status": TicketStatus.SOLD.value,
                "order_id": fact.order_id,
                "locked_until": None,
                **codes.handover(ticket, fact.buyer_id),  # the buyer's code; the last revoked
            }

        for ticket_id in fact.seats.ticket_ids:
            await _apply(ticket_id, sell, self.uow)

    async def reconcile(self, event_id: str | None) -> None:
        """Bring the event's tickets up to date with it, then mark its availability to be
        counted again (``recounts.py``)."""
        record = await follow_event(event_id, self.uow, every_ticket=True)
        if record is not None:
            await self.recounts.mark(str(record.id))

    async def on_event_updated(self, fact: EventUpdated) -> None:
        await self.reconcile(fact.event_id)

    async def on_ticket_fact(self, fact: TicketCreated) -> None:
        """A ticket changed: its event is marked, to be counted again and to have the
        tickets that fell behind it brought up to date (``settle``, once per burst of
        changes). Nothing is read here: a sale's every lock made one read of its event."""
        if fact.event.id is not None and object_id_or_none(fact.event.id) is not None:
            await self.recounts.mark(fact.event.id)

    def subscriptions(self) -> Subscriptions:
        """Every subscription of the tickets service."""
        return [
            subscribe(EventUpdated, self.on_event_updated),
            subscribe(TicketCreated, self.on_ticket_fact),
            subscribe(TicketUpdated, self.on_ticket_fact),
            subscribe(UserCreated, on_user_fact),
            subscribe(UserUpdated, on_user_fact),
            subscribe(OrderCreated, self.on_order_created),
            subscribe(OrderCancelled, self.on_order_cancelled),
            subscribe(ChargeCreated, self.on_charge_created),
        ]
