"""Transfers to a friend: the owner of a bought ticket gives it to another user (by
e-mail, free); the recipient accepts, the ticket is theirs with a new code, and the
sender's code stops working.

One transfer at a time per ticket: its id is written on the ticket by a version-guarded
write (``pending_transfer``), and the acceptance moves the ticket in one write too
(owner, new code, no transfer pending). A used ticket, one for sale or void is not
transferred; each user's transfers are rate limited like orders.
"""

from __future__ import annotations

from datetime import datetime

from beanie import Document, PydanticObjectId
from pydantic import Field

from backend.common.clock import utcnow
from backend.common.errors import Conflict, Forbidden, NotFound
from backend.common.ids import object_id
from backend.common.unit_of_work import UnitOfWork
from backend.common.user_replica import UserReplica
from backend.tickets import codes
from backend.tickets.models import CheckIn, Ticket
from backend.tickets.service import commit, get_ticket
from wire.codes import TransferStatus
from wire.values import TicketStatus


class Transfer(Document):
    ticket_id: str
    from_user_id: str
    to_user_id: str
    to_email: str
    status: TransferStatus = TransferStatus.PENDING
    created_at: datetime = Field(default_factory=utcnow)
    ended_at: datetime | None = None

    class Settings:
        name = "transfers"


async def start(*, ticket_id: str, sender_id: str, email: str, uow: UnitOfWork) -> Transfer:
    ticket = await get_ticket(ticket_id)
    if ticket.owner_id != sender_id:
        raise Forbidden("Only the ticket's owner can transfer it")
    if ticket.status is not TicketStatus.SOLD or ticket.owner_id == ticket.seller_id:
        raise Conflict("Only a ticket you bought, not for sale, can be transferred")
    if ticket.code_id and await CheckIn.get(ticket.code_id) is not None:
        raise Conflict("The ticket was used at the door")
    if ticket.pending_transfer is not None:
        raise Conflict("A transfer of this ticket is waiting for its recipient")
    recipient = await UserReplica.find_one({"email": email.strip().lower()})
    if recipient is None:
        raise NotFound("No user with this e-mail", field="email")
    if recipient.id == sender_id:
        raise Conflict("The ticket is already yours", field="email")
    transfer = Transfer(
        id=PydanticObjectId(),
        ticket_id=ticket_id,
        from_user_id=sender_id,
        to_user_id=recipient.id,
        to_email=recipient.email,
    )
    marked = await commit(ticket, {"pending_transfer": str(transfer.id)}, uow)
    if marked is None:
        raise Conflict("The ticket changed meanwhile; reload and try again")
    await transfer.insert()
    return transfer


async def _transfer(transfer_id: str) -> Transfer:
    transfer = await Transfer.get(object_id(transfer_id, "Transfer"))
    if transfer is None:
        raise NotFound("Transfer not found")
    return transfer


async def accept(*, transfer_id: str, user_id: str, uow: UnitOfWork) -> Transfer:
    transfer = await _transfer(transfer_id)
    if transfer.to_user_id != user_id:
        raise Forbidden("This transfer is not to you")
    if transfer.status is not TransferStatus.PENDING:
        raise Conflict(f"The transfer is {transfer.status.value}")
    ticket = await get_ticket(transfer.ticket_id)
    if ticket.pending_transfer != str(transfer.id) or ticket.owner_id != transfer.from_user_id:
        return await _end(transfer, TransferStatus.CANCELLED)  # the sender moved on
    if ticket.code_id and await CheckIn.get(ticket.code_id) is not None:
        await commit(ticket, {"pending_transfer": None}, uow)
        await _end(transfer, TransferStatus.CANCELLED)
        raise Conflict("The ticket was used at the door")
    moved = await commit(
        ticket, {"pending_transfer": None, **codes.handover(ticket, transfer.to_user_id)}, uow
    )
    if moved is None:
        raise Conflict("The ticket changed meanwhile; try again")
    return await _end(transfer, TransferStatus.ACCEPTED)


async def cancel(*, transfer_id: str, user_id: str, uow: UnitOfWork) -> Transfer:
    """Its sender takes it back, or its recipient declines it."""
    transfer = await _transfer(transfer_id)
    if user_id not in (transfer.from_user_id, transfer.to_user_id):
        raise Forbidden("This transfer is not yours")
    if transfer.status is not TransferStatus.PENDING:
        raise Conflict(f"The transfer is {transfer.status.value}")
    ticket = await Ticket.get(object_id(transfer.ticket_id, "Ticket"))
    pending = ticket is not None and ticket.pending_transfer == str(transfer.id)
    if pending and ticket and await commit(ticket, {"pending_transfer": None}, uow) is None:
        raise Conflict("The ticket changed meanwhile; try again")
    return await _end(transfer, TransferStatus.CANCELLED)


async def _end(transfer: Transfer, status: TransferStatus) -> Transfer:
    ended = await Transfer.get_pymongo_collection().find_one_and_update(
        {"_id": transfer.id, "status": TransferStatus.PENDING.value},
        {"$set": {"status": status.value, "ended_at": utcnow()}},
        return_document=True,
    )
    if ended is None:
        raise Conflict("The transfer ended meanwhile")
    result: Transfer = Transfer.model_validate(ended)
    return result


async def transfers_of(user_id: str) -> tuple[list[Transfer], list[Transfer]]:
    """Transfers to the user and from them, newest first."""
    incoming: list[Transfer] = (
        await Transfer.find({"to_user_id": user_id}).sort("-created_at").to_list()
    )
    outgoing: list[Transfer] = (
        await Transfer.find({"from_user_id": user_id}).sort("-created_at").to_list()
    )
    return incoming, outgoing
