"""The door: scanners an operator names for an event, and check-ins.

A code is admitted once: the first check-in of a code id inserts its ``CheckIn`` (the
id is the code's), and every other — at the same moment on another door, or later — meets
the unique key and is told when it was used. Whether a genuine code is valid is the
ticket's to say: its current code (an earlier one was replaced when it changed hands),
not for sale (a seller cannot sell and attend), not void (cancelled event, refund).
"""

from __future__ import annotations

from pymongo.errors import DuplicateKeyError

from backend.common.clock import utcnow
from backend.common.errors import Forbidden, NotFound
from backend.common.ids import object_id_or_none
from backend.common.unit_of_work import UnitOfWork
from backend.common.user_replica import UserReplica, has_role
from backend.tickets import catalogue
from backend.tickets.codes import event_key
from backend.tickets.models import CheckIn, EventRecord, Ticket
from wire.codes import CheckInPublic, CheckInResult, ScannerKit, Unreadable, verify
from wire.codes import parse as parse_code
from wire.values import Role, TicketStatus


async def may_scan(user_id: str, record: EventRecord) -> bool:
    return user_id in record.scanners or await has_role(user_id, Role.OPERATOR)


async def _event(event_id: str) -> EventRecord:
    record = await catalogue.find_event(event_id)
    if record is None:
        raise NotFound("Event not found")
    return record


async def add_scanner(
    *, event_id: str, email: str, operator_id: str, uow: UnitOfWork
) -> EventRecord:
    """An operator lets a user scan codes at an event's doors."""
    if not await has_role(operator_id, Role.OPERATOR):
        raise Forbidden("Only an operator can name scanners")
    record = await _event(event_id)
    user = await UserReplica.find_one({"email": email.strip().lower()})
    if user is None:
        raise NotFound("No user with this e-mail", field="email")
    if user.id in record.scanners:
        return record
    updated = await uow.commit(record, {"scanners": [*record.scanners, user.id]})
    return updated or await _event(event_id)


async def check_in(*, code: str, scanner_id: str) -> CheckInPublic:
    """The door's answer for ``code`` (403 for a caller who scans no event's doors)."""
    found = await _genuine(code, scanner_id)
    if isinstance(found, str):
        return CheckInPublic(result=CheckInResult.NOT_VALID, reason=found)
    ticket, code_id = found
    seen = _seat(ticket)
    refusal = _refusal(ticket, code_id)
    if refusal is not None:
        return CheckInPublic(result=CheckInResult.NOT_VALID, reason=refusal, **seen)
    event_id = ticket.event.id or ""
    entry = CheckIn(id=code_id, ticket_id=str(ticket.id), event_id=event_id, scanner_id=scanner_id)
    try:
        await entry.insert()
    except DuplicateKeyError:
        first = await CheckIn.get(code_id)
        at = None if first is None else first.at
        return CheckInPublic(result=CheckInResult.ALREADY_USED, checked_in_at=at, **seen)
    return CheckInPublic(result=CheckInResult.ADMITTED, checked_in_at=entry.at, **seen)


async def _genuine(code: str, scanner_id: str) -> tuple[Ticket, str] | str:
    """The ticket and code id of a genuine code of an event the caller scans, or why not."""
    try:
        payload, _, _ = parse_code(code)
    except Unreadable:
        await _scans_somewhere(scanner_id)
        return "Not a ticket code"
    record = await catalogue.find_event(payload.e)
    if record is None:
        await _scans_somewhere(scanner_id)
        return "Not a code of our events"
    if not await may_scan(scanner_id, record):
        raise Forbidden("You do not scan this event's tickets")
    try:
        verify(code, (await event_key(payload.e)).public_key)
    except Unreadable:
        return "Forged or altered code"
    oid = object_id_or_none(payload.t)
    ticket = None if oid is None else await Ticket.get(oid)
    if ticket is None or ticket.event.id != payload.e:
        return "Unknown ticket"
    return ticket, payload.c


def _refusal(ticket: Ticket, code_id: str) -> str | None:
    if ticket.status is TicketStatus.VOID:
        return "The ticket is void: its event was cancelled (refunded)"
    if code_id != ticket.code_id:
        return "Replaced by a newer code: the ticket changed hands"
    if ticket.status is not TicketStatus.SOLD:
        return "The ticket is for sale: its code is not valid until the listing ends"
    return None


def _seat(ticket: Ticket) -> dict[str, object]:
    return {
        "ticket_id": str(ticket.id),
        "event": ticket.event,
        "section": ticket.section,
        "row": ticket.row,
        "seat": ticket.seat,
    }


async def _scans_somewhere(user_id: str) -> None:
    """What a caller must be to hear even that a code is unreadable."""
    if await EventRecord.find_one({"scanners": user_id}) is None and not await has_role(
        user_id, Role.OPERATOR
    ):
        raise Forbidden("You do not scan any event's tickets")


async def scanner_kit(*, event_id: str, scanner_id: str) -> ScannerKit:
    """What a scanner keeps to check this event's codes offline for a while."""
    record = await _event(event_id)
    if not await may_scan(scanner_id, record):
        raise Forbidden("You do not scan this event's tickets")
    revoked: list[str] = []
    async for ticket in Ticket.find({"event.id": event_id}):
        revoked += ticket.revoked_codes
        if ticket.code_id and ticket.status is not TicketStatus.SOLD:
            revoked.append(ticket.code_id)  # void, or on sale again
    used = [c.id async for c in CheckIn.find({"event_id": event_id})]
    key = await event_key(event_id)
    return ScannerKit(
        event_id=event_id, public_key=key.public_key, revoked=revoked, used=used, as_of=utcnow()
    )
