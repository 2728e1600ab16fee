"""HTTP routes of the ticket itself: the owner's code, transfers to a friend, and the
door (scanners, check-ins, the offline kit)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from backend.common.auth import require_user
from backend.common.endpoint import respond
from backend.common.errors import Conflict, Forbidden, parse_body
from backend.common.rate_limits import Quota
from backend.common.runtime import runtime_of
from backend.tickets import codes, doors, transfers
from backend.tickets.models import CheckIn
from backend.tickets.routes import present_event
from backend.tickets.schemas import CheckInRequest, EmailRequest
from backend.tickets.service import get_ticket
from wire.codes import TicketCodePublic, TransferList, TransferPublic
from wire.values import TicketStatus

# Transfers obey the fair market: a user gives away at most this many tickets an hour.
TRANSFERS_PER_USER = Quota("transfers-user", 20, 3600)


async def my_code(request: Request) -> Response:
    """The owner's code and its QR code; hidden while the ticket is for sale."""
    user = require_user(request)
    ticket = await get_ticket(request.path_params["ticket_id"])
    if ticket.owner_id != user.id:
        raise Forbidden("Only the ticket's owner sees its code")
    if ticket.status is TicketStatus.VOID:
        raise Conflict("The ticket is void: its event was cancelled")
    if ticket.status is not TicketStatus.SOLD or ticket.code_id is None:
        raise Conflict("The code is hidden while the ticket is for sale")
    assert ticket.event.id is not None and ticket.code_issued_at is not None
    code = codes.code_of(ticket, await codes.event_key(ticket.event.id))
    used = await CheckIn.get(ticket.code_id)
    return respond(
        TicketCodePublic(
            ticket_id=str(ticket.id),
            code=code,
            svg=codes.qr_svg(code),
            serial=ticket.code_serial,
            issued_at=ticket.code_issued_at,
            checked_in_at=None if used is None else used.at,
        )
    )


async def check_in(request: Request) -> Response:
    user = require_user(request)
    data = await parse_body(request, CheckInRequest)
    return respond(await doors.check_in(code=data.code, scanner_id=user.id))


async def scanner_kit(request: Request) -> Response:
    user = require_user(request)
    kit = await doors.scanner_kit(event_id=request.path_params["event_id"], scanner_id=user.id)
    return respond(kit)


async def add_scanner(request: Request) -> Response:
    user = require_user(request)
    data = await parse_body(request, EmailRequest)
    record = await doors.add_scanner(
        event_id=request.path_params["event_id"],
        email=data.email,
        operator_id=user.id,
        uow=runtime_of(request).uow,
    )
    return respond(present_event(record))


async def start_transfer(request: Request) -> Response:
    user = require_user(request)
    data = await parse_body(request, EmailRequest)
    runtime = runtime_of(request)
    budget = await runtime.rate_limits.spend(
        [(TRANSFERS_PER_USER, user.id)], "Too many transfers; try again later"
    )
    transfer = await transfers.start(
        ticket_id=request.path_params["ticket_id"],
        sender_id=user.id,
        email=data.email,
        uow=runtime.uow,
    )
    return budget.apply(respond(TransferPublic.model_validate(transfer), 201))


async def my_transfers(request: Request) -> Response:
    user = require_user(request)
    incoming, outgoing = await transfers.transfers_of(user.id)
    return respond(
        TransferList(
            incoming=[TransferPublic.model_validate(t) for t in incoming],
            outgoing=[TransferPublic.model_validate(t) for t in outgoing],
        )
    )


async def accept_transfer(request: Request) -> Response:
    user = require_user(request)
    transfer = await transfers.accept(
        transfer_id=request.path_params["transfer_id"],
        user_id=user.id,
        uow=runtime_of(request).uow,
    )
    return respond(TransferPublic.model_validate(transfer))


async def cancel_transfer(request: Request) -> Response:
    user = require_user(request)
    transfer = await transfers.cancel(
        transfer_id=request.path_params["transfer_id"],
        user_id=user.id,
        uow=runtime_of(request).uow,
    )
    return respond(TransferPublic.model_validate(transfer))
