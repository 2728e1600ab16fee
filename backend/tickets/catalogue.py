"""The events catalogue: events people browse, each with its listings (tickets).

The catalogue lives in the tickets service rather than a service of its own: an event's
availability is counted from its tickets and its status is copied onto them, so both stay
one service's writes to its own database, with no fact travelling between the two.

- One event per happening: creating an event that has the same normalised name, venue,
  city and start time as one in the catalogue returns that one (``event_key``; a unique
  index settles two creators racing).
- A ticket carries a copy of its event (``wire.values.Event``, with the event's ``id``);
  ``handlers.follow_event`` brings the tickets of an event up to date with it (its name,
  time, status) and voids the tickets of a cancelled event, and ``recount`` counts its
  availability. A change of the event (``EventUpdated``) brings every ticket of it up to
  date at once and marks the event; a change of any of its tickets
  (``TicketCreated``/``TicketUpdated``), from the tickets service's own stream, only
  marks it. ``recounts.py`` settles each marked event once per burst of changes (the
  tickets that fell behind it follow it, then it is counted): at least once, idempotent,
  so a crash in between is made good by the redelivery or the mark left behind.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from beanie import PydanticObjectId, SortDirection
from pymongo.errors import DuplicateKeyError

from backend.common.clock import utcnow
from backend.common.errors import Conflict, NotFound
from backend.common.facts import EventUpdated
from backend.common.ids import object_id, object_id_or_none
from backend.common.paging import page_of
from backend.common.unit_of_work import UnitOfWork
from backend.tickets.models import EventRecord, Ticket
from backend.tickets.schemas import EventIn, EventQuery, EventSort, EventStatusRequest, ListingQuery
from wire.events import Availability, EventFields, Venue
from wire.values import LISTED, Event, EventStatus, Money, SplitRule, TicketStatus

_ASC, _DESC = SortDirection.ASCENDING, SortDirection.DESCENDING
_SORTS: dict[EventSort, list[tuple[str, SortDirection]]] = {
    EventSort.DATE: [("starts_at", _ASC), ("_id", _ASC)],
    EventSort.POPULARITY: [("availability.sold", _DESC), ("starts_at", _ASC), ("_id", _ASC)],
    EventSort.PRICE: [("availability.minPrice.amount", _ASC), ("starts_at", _ASC), ("_id", _ASC)],
}
_RECOUNT_ATTEMPTS = 10


def _normalised(text: str) -> str:
    """Case, accents' composition, punctuation and spacing do not make another event (a
    name of symbols alone stays itself)."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(re.sub(r"[^\w\s]", " ", folded).split()) or " ".join(folded.split())


def event_key(name: str, venue: Venue, starts_at: datetime) -> str:
    moment = starts_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M")
    return "|".join((_normalised(name), _normalised(venue.name), _normalised(venue.city), moment))


def snapshot(record: EventRecord) -> Event:
    """The copy of the event a ticket carries."""
    return Event(
        id=str(record.id),
        name=record.name,
        kind=record.kind,
        venue=record.venue.name,
        city=record.venue.city,
        starts_at=record.starts_at,
        status=record.status,
        version=record.version,
    )


async def get_event(event_id: str, *, field: str | None = None) -> EventRecord:
    record = await EventRecord.get(object_id(event_id, "Event", field=field))
    if record is None:
        raise NotFound("Event not found", field=field)
    return record


type BeforeCreating = Callable[[], Awaitable[None]]


async def _free() -> None:
    return None


async def find_event(event_id: str | None) -> EventRecord | None:
    """The event of that id, or None (none, malformed or unknown: a fact's copy)."""
    oid = object_id_or_none(event_id or "")
    return await EventRecord.get(oid) if oid is not None else None


async def find_or_create(
    data: EventIn, uow: UnitOfWork, before_creating: BeforeCreating = _free
) -> tuple[EventRecord, bool]:
    """The catalogue's event for ``data``, and whether it was created now;
    ``before_creating`` runs (and may refuse) only when a new event is to be made."""
    fields = EventFields(
        name=data.name,
        performers=data.performers,
        kind=data.kind,
        venue=data.venue_value(),
        starts_at=data.starts_at,
        doors_at=data.doors_at,
        ends_at=data.ends_at,
    )
    return await merge(fields, uow, before_creating)


async def merge(
    fields: EventFields, uow: UnitOfWork, before_creating: BeforeCreating = _free
) -> tuple[EventRecord, bool]:
    """The catalogue's event with these fields' identity (found or created), and whether
    it was created now."""
    key = event_key(fields.name, fields.venue, fields.starts_at)
    existing = await EventRecord.find_one({"key": key})
    if existing is not None:
        return existing, False
    await before_creating()
    record = EventRecord(id=PydanticObjectId(), key=key, **dict(fields))
    try:
        return await uow.add(record), True
    except DuplicateKeyError:  # another request created it a moment ago
        found = await EventRecord.find_one({"key": key})
        if found is None:
            raise
        return found, False


async def event_for_listing(event_id: str) -> EventRecord:
    """The event a new ticket is listed for: it must be yet to happen and not cancelled."""
    record = await get_event(event_id, field="eventId")
    if record.status is EventStatus.CANCELLED:
        raise Conflict("The event is cancelled: its tickets cannot be sold", field="eventId")
    if record.starts_at <= utcnow():
        raise Conflict("The event has already started", field="eventId")
    return record


def _filter(query: EventQuery) -> dict[str, Any]:
    flt: dict[str, Any] = {}
    starts: dict[str, datetime] = {"$gte": query.starts_after or utcnow()}
    if query.starts_before is not None:
        starts["$lte"] = query.starts_before
    flt["starts_at"] = starts
    if query.kind is not None:
        flt["kind"] = query.kind.value
    if query.status is not None:
        flt["status"] = query.status.value
    if query.city:
        flt["venue.city"] = {"$regex": f"^{re.escape(query.city)}$", "$options": "i"}
    if query.q:
        pattern = {"$regex": re.escape(query.q), "$options": "i"}
        flt["$or"] = [
            {"name": pattern},
            {"performers": pattern},
            {"venue.name": pattern},
            {"venue.city": pattern},
        ]
    if query.sort is EventSort.PRICE:  # cheapest first: only events with something for sale
        flt["availability.available"] = {"$gt": 0}
    return flt


async def search_events(query: EventQuery) -> tuple[list[EventRecord], int]:
    sort = _SORTS[query.sort]
    return await page_of(
        EventRecord, _filter(query), sort, page=query.page, page_size=query.page_size
    )


def price_range(least: int | None, most: int | None) -> dict[str, Any]:
    """The filter of tickets priced between ``least`` and ``most`` cents (either open)."""
    bounds = {op: cents for op, cents in (("$gte", least), ("$lte", most)) if cents is not None}
    return {"price.amount": bounds} if bounds else {}


def sells(free: int, size: int, split: SplitRule | None, quantity: int) -> bool:
    """Whether ``quantity`` tickets can be bought together from a listing with ``free``
    seats for sale (of ``size``) under ``split`` (a single ticket: size 1, no rule)."""
    if quantity > free:
        return False
    if split is SplitRule.ALL:
        return quantity == size == free
    return not (split is SplitRule.PAIRS and free - quantity == 1)


async def listings(record: EventRecord, query: ListingQuery) -> list[Ticket]:
    """Its tickets for sale or held, cheapest first; with ``quantity``, only those that
    can be bought that many together (a listing's seats, by its split rule)."""
    flt: dict[str, Any] = {"event.id": str(record.id), "status": {"$in": list(LISTED)}}
    if query.section:
        flt["section"] = {"$regex": f"^{re.escape(query.section)}$", "$options": "i"}
    flt |= price_range(query.min_price, query.max_price)
    sort = [("price.amount", _ASC), ("_id", _ASC)]
    found = await Ticket.find(flt).sort(sort).limit(query.limit).to_list()
    if query.quantity == 1:
        return found
    free: Counter[str] = Counter(
        t.listing_id for t in found if t.listing_id and t.status is TicketStatus.AVAILABLE
    )
    return [
        t
        for t in found
        if t.listing_id is not None
        and sells(free[t.listing_id], t.listing_size or 0, t.split, query.quantity)
    ]


def _event_fact(record: EventRecord) -> EventUpdated:
    state = record.model_dump(include=set(EventFields.model_fields))
    return EventUpdated.model_validate(
        state | {"event_id": str(record.id), "version": record.version}
    )


async def change_status(*, event_id: str, data: EventStatusRequest, uow: UnitOfWork) -> EventRecord:
    """An operator postpones, reschedules or cancels an event. Its tickets follow
    (``reconcile``, from the ``EventUpdated`` this writes): holds on a cancelled event's
    tickets end at once and its unsold tickets are void."""
    record = await get_event(event_id)
    if record.status is EventStatus.CANCELLED:
        raise Conflict("The event is cancelled; that is final", field="status")
    if data.status is EventStatus.CANCELLED and data.starts_at is not None:
        raise Conflict("A cancelled event gets no new date", field="startsAt")
    changes: dict[str, Any] = {"status": data.status.value}
    if data.status is EventStatus.CANCELLED:
        # Its identity is free again: the real event can still be listed if this one was
        # created wrong (or by a squatter) and cancelled for it.
        changes["key"] = f"{record.key}|cancelled|{record.id}"
    if data.starts_at is not None:
        changes["starts_at"] = data.starts_at
        changes["key"] = event_key(record.name, record.venue, data.starts_at)
    try:
        updated = await uow.commit(record, changes, lambda new: [_event_fact(new)])
    except DuplicateKeyError:
        raise Conflict("Another event has that name, venue and time", field="startsAt") from None
    if updated is None:
        raise Conflict("The event changed meanwhile; reload and try again")
    return updated


async def recount(event_id: str) -> None:
    """Count the event's tickets into its availability. Compare-and-set on
    ``availability_seq``, read before the tickets: a count from an older read than the
    last one written is retried, never written over it."""
    oid = object_id_or_none(event_id)
    if oid is None:
        return
    events = EventRecord.get_pymongo_collection()
    tickets = Ticket.get_pymongo_collection()
    for _ in range(_RECOUNT_ATTEMPTS):
        current = await events.find_one({"_id": oid}, {"availability_seq": 1})
        if current is None:
            return
        seq = int(current.get("availability_seq", 0))
        # Counted on the (event, status, price) index: no ticket is read but the cheapest.
        counted = {
            status: await tickets.count_documents({"event.id": event_id, "status": status.value})
            for status in (TicketStatus.AVAILABLE, TicketStatus.LOCKED, TicketStatus.SOLD)
        }
        cheapest = await tickets.find_one(
            {"event.id": event_id, "status": TicketStatus.AVAILABLE.value},
            {"price": 1},
            sort=[("price.amount", 1)],
        )
        availability = Availability(
            available=counted[TicketStatus.AVAILABLE],
            locked=counted[TicketStatus.LOCKED],
            sold=counted[TicketStatus.SOLD],
            min_price=None if cheapest is None else Money.model_validate(cheapest["price"]),
        )
        result = await events.update_one(
            {"_id": oid, "availability_seq": seq},
            {
                "$set": {
                    "availability": availability.model_dump(by_alias=True),
                    "availability_seq": seq + 1,
                }
            },
        )
        if result.modified_count == 1:
            return
    raise Conflict(f"event {event_id}: its availability kept changing")
