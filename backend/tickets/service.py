"""Use cases of the tickets service: listing, searching, editing, and following orders."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any, TypedDict

from beanie import PydanticObjectId, SortDirection

from backend.common.clock import utcnow
from backend.common.errors import BadRequest, Conflict, Forbidden, NotFound
from backend.common.facts import CodeIssued, Fact, TicketCreated, TicketUpdated
from backend.common.fees import FeeSchedule
from backend.common.ids import object_id
from backend.common.paging import page_of
from backend.common.ticket_locks import HolderKind, TicketLocks
from backend.common.unit_of_work import UnitOfWork
from backend.tickets import catalogue
from backend.tickets.models import CheckIn, Ticket
from backend.tickets.schemas import (
    CreateListingRequest,
    CreateTicketRequest,
    PriceIn,
    RelistRequest,
    SortOrder,
    TicketQuery,
    UpdateTicketRequest,
)
from wire.tickets import TicketFields
from wire.values import LISTED, Event, EventStatus, Money, PriceBreakdown, TicketStatus

_ASC, _DESC = SortDirection.ASCENDING, SortDirection.DESCENDING
# The id last: pages stay stable when many tickets share a price or date.
_SORTS: dict[SortOrder, list[tuple[str, SortDirection]]] = {
    SortOrder.NEWEST: [("created_at", _DESC), ("_id", _DESC)],
    SortOrder.PRICE: [("price.amount", _ASC), ("_id", _ASC)],
    SortOrder.PRICE_DESC: [("price.amount", _DESC), ("_id", _ASC)],
    SortOrder.DATE: [("event.startsAt", _ASC), ("_id", _ASC)],
}


def ticket_event[E: TicketCreated](cls: type[E], ticket: Ticket) -> E:
    """The fact describing a ticket's state (its version is the ticket's)."""
    state = ticket.model_dump(include=set(TicketFields.model_fields))
    return cls.model_validate(state | {"ticket_id": str(ticket.id), "version": ticket.version})


async def _event_of(
    data: CreateTicketRequest, uow: UnitOfWork, before_creating: catalogue.BeforeCreating
) -> Event:
    """The event tickets are listed for: of the catalogue, or given inline (found or
    created: ``catalogue.find_or_create``); its copy for the tickets."""
    if data.event_id is not None:
        record = await catalogue.event_for_listing(data.event_id)
    else:
        assert data.event is not None  # the request model wants exactly one of the two
        record, _ = await catalogue.find_or_create(data.event, uow, before_creating)
        if record.status is EventStatus.CANCELLED:
            raise Conflict("The event is cancelled: its tickets cannot be sold", field="event")
    return catalogue.snapshot(record)


async def create_ticket(
    *,
    seller_id: str,
    fees: FeeSchedule,
    data: CreateTicketRequest,
    uow: UnitOfWork,
    before_creating: catalogue.BeforeCreating,
) -> Ticket:
    """List a ticket for an event of the catalogue, or for one given inline."""
    ticket = Ticket(
        id=PydanticObjectId(),
        title=data.title,
        event=await _event_of(data, uow, before_creating),
        section=data.section,
        row=data.row,
        seat=data.seat,
        **priced(data.price, fees),
        seller_id=seller_id,
        owner_id=seller_id,
    )
    return await uow.add(ticket, ticket_event(TicketCreated, ticket))


async def create_listing(
    *,
    seller_id: str,
    fees: FeeSchedule,
    data: CreateListingRequest,
    uow: UnitOfWork,
    before_creating: catalogue.BeforeCreating,
) -> tuple[str, list[Ticket]]:
    """List seats of one event together: one ticket per seat, each a seat of the listing
    (``listing_id``) with its split rule; buyers order them by the listing."""
    price = priced(data.price, fees)
    event, listing_id = await _event_of(data, uow, before_creating), str(PydanticObjectId())
    seats = []
    for seat in data.seats:
        ticket = Ticket(
            id=PydanticObjectId(),
            title=data.title,
            event=event,
            section=data.section,
            row=data.row,
            seat=seat,
            **price,
            seller_id=seller_id,
            owner_id=seller_id,
            listing_id=listing_id,
            split=data.split,
            listing_size=len(data.seats),
        )
        seats.append(await uow.add(ticket, ticket_event(TicketCreated, ticket)))
    return listing_id, seats


class Priced(TypedDict):
    price: Money
    breakdown: PriceBreakdown


def priced(price: PriceIn, fees: FeeSchedule) -> Priced:
    """A ticket's all-in price and its breakdown, from the seller's list price; 400 when
    the list price does not even cover the seller fee."""
    list_price = price.money()
    if not fees.covers(list_price):
        raise BadRequest("The price must be more than the seller fee", field="price")
    breakdown = fees.price(list_price)
    return Priced(price=breakdown.total, breakdown=breakdown)


def stored(price: Priced) -> dict[str, Any]:
    """The priced fields as a document stores them (camelCase values)."""
    return {"price": price["price"].model_dump(), "breakdown": price["breakdown"].model_dump()}


async def get_ticket(ticket_id: str) -> Ticket:
    ticket = await Ticket.get(object_id(ticket_id, "Ticket"))
    if ticket is None:
        raise NotFound("Ticket not found")
    return ticket


def _filter(query: TicketQuery) -> dict[str, Any]:
    flt: dict[str, Any] = {}
    if query.status is not None:
        flt["status"] = query.status.value
    else:  # by default: what can still be bought, for events yet to come
        flt["status"] = {"$in": list(LISTED)}
    starts: dict[str, datetime] = {}
    if query.starts_after is not None:
        starts["$gte"] = query.starts_after
    elif query.status is None:
        starts["$gte"] = datetime.now(UTC)
    if query.starts_before is not None:
        starts["$lte"] = query.starts_before
    if starts:
        flt["event.startsAt"] = starts
    if query.kind is not None:
        flt["event.kind"] = query.kind.value
    flt |= catalogue.price_range(query.min_price, query.max_price)
    if query.q:
        pattern = {"$regex": re.escape(query.q), "$options": "i"}
        flt["$or"] = [{"title": pattern}, {"event.name": pattern}, {"event.venue": pattern}]
    return flt


async def list_tickets(query: TicketQuery) -> tuple[list[Ticket], int]:
    sort = _SORTS[query.sort]
    return await page_of(Ticket, _filter(query), sort, page=query.page, page_size=query.page_size)


async def tickets_of(user_id: str) -> list[Ticket]:
    """What a user listed and what they own (bought), newest first."""
    flt = {"$or": [{"seller_id": user_id}, {"owner_id": user_id}]}
    return await Ticket.find(flt).sort(_SORTS[SortOrder.NEWEST]).to_list()


async def commit(ticket: Ticket, changes: dict[str, Any], uow: UnitOfWork) -> Ticket | None:
    """The change and its ``TicketUpdated`` (and ``CodeIssued`` when it gave the ticket a
    new code) in one write; None if the ticket changed."""

    def facts(new: Ticket) -> list[Fact]:
        told: list[Fact] = [ticket_event(TicketUpdated, new)]
        if new.code_id != ticket.code_id and new.code_id is not None:
            told.append(
                CodeIssued(
                    ticket_id=str(new.id),
                    owner_id=new.owner_id,
                    serial=new.code_serial,
                    version=new.version,
                )
            )
        return told

    return await uow.commit(ticket, changes, facts)


def _edits(data: UpdateTicketRequest, fees: FeeSchedule) -> dict[str, Any]:
    """The stored fields an edit sets."""
    changes: dict[str, Any] = {}
    for name in ("title", "section", "row", "seat"):
        if name in data.model_fields_set:
            changes[name] = getattr(data, name)
    if data.price is not None:
        changes |= stored(priced(data.price, fees))
    return changes


def _editable_by(ticket: Ticket, user_id: str) -> Ticket:
    if ticket.owner_id != user_id:
        raise Forbidden("Only the ticket's owner can edit it")
    return ticket


async def update_ticket(
    *,
    ticket_id: str,
    user_id: str,
    data: UpdateTicketRequest,
    fees: FeeSchedule,
    locks: TicketLocks,
    uow: UnitOfWork,
) -> Ticket:
    """The owner edits a ticket that nobody is buying (invariant: no edits while locked).

    The edit holds the ticket's purchase lock while it commits, so an edit and a lock
    never interleave: either the edit commits first (and stamps its version, which the
    orders service checks before pricing an order), or it is refused with 409. The commit
    is compared-and-set on the version read before the lock: a ticket that changed in
    between is read again, under the lock, once (an edit costs one read, not two).
    """
    ticket = _editable_by(await get_ticket(ticket_id), user_id)
    if ticket.status is TicketStatus.SOLD:
        raise Conflict("The ticket is sold and cannot be edited")
    listing_id = ticket.listing_id
    token = await locks.begin_edit(ticket_id, listing_id)
    if token is None:
        holder = await locks.holder(ticket_id, listing_id)
        if holder is not None and holder.kind is HolderKind.EDIT:
            raise Conflict("Another edit of this ticket is in progress; try again")
        raise Conflict("The ticket is locked by a buyer and cannot be edited now")
    committed, changes = ticket.version, _edits(data, fees)
    try:
        for again in (False, True):
            if again:
                # it changed since the first read
                ticket = _editable_by(await get_ticket(ticket_id), user_id)
            if ticket.status is not TicketStatus.AVAILABLE:
                raise Conflict(f"The ticket is {ticket.status.value} and cannot be edited now")
            updated = await commit(ticket, changes, uow) if changes else ticket
            if updated is not None:
                committed = updated.version
                return updated
        raise Conflict("The ticket changed meanwhile; reload and try again")
    finally:
        await locks.end_edit(ticket_id, token, committed, listing_id)


async def relist_ticket(
    *,
    ticket_id: str,
    user_id: str,
    data: RelistRequest,
    fees: FeeSchedule,
    locks: TicketLocks,
    uow: UnitOfWork,
) -> Ticket:
    """The buyer of a sold ticket puts it on sale again (resale)."""
    ticket = await get_ticket(ticket_id)
    if ticket.owner_id != user_id:
        raise Forbidden("Only the owner can list this ticket")
    if ticket.status is not TicketStatus.SOLD or ticket.seller_id == user_id:
        raise Conflict("Only a ticket you bought can be listed again")
    if ticket.event.status == EventStatus.CANCELLED or ticket.event.starts_at <= utcnow():
        raise Conflict("Its event is cancelled or has started: it cannot be sold again")
    if ticket.pending_transfer is not None:
        raise Conflict("A transfer of this ticket is waiting for its recipient; cancel it first")
    if ticket.code_id is not None and await CheckIn.get(ticket.code_id) is not None:
        raise Conflict("The ticket was used at the door: it cannot be sold again")
    if ticket.order_id is not None:
        await locks.clear_sold(ticket_id, ticket.order_id, ticket.listing_id)
    relisted = await commit(
        ticket,
        {
            "status": TicketStatus.AVAILABLE.value,
            "seller_id": user_id,
            **stored(priced(data.price, fees)),
            "order_id": None,
            "locked_until": None,
            # A seat bought with others is sold again on its own.
            "listing_id": None,
            "split": None,
            "listing_size": None,
        },
        uow,
    )
    if relisted is None:
        raise Conflict("The ticket changed meanwhile; reload and try again")
    return relisted
