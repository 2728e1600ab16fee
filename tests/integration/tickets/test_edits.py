"""An owner's edit (``service.update_ticket``) on the real Mongo-wire server and redis-server:
one read of the ticket when nothing changed it; when something did between that read and
the edit's lock, it is read again under the lock, once, and what it became decides."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from backend.common.errors import Conflict
from backend.common.fees import FeeSchedule
from backend.common.runtime import Runtime, open_runtime
from backend.common.settings import Settings
from backend.common.ticket_locks import TicketLocks
from backend.tickets import catalogue, service
from backend.tickets.models import EventRecord, Ticket
from backend.tickets.schemas import CreateTicketRequest, EventIn, UpdateTicketRequest
from tests.support.events import event_body, listing
from tests.support.reads import note_reads
from wire.values import TicketStatus

pytestmark = pytest.mark.integration

SELLER = "5" * 24


@pytest.fixture
async def runtime(settings: Settings) -> AsyncIterator[Runtime]:
    async with open_runtime("tickets", settings, [Ticket, EventRecord]) as running:
        yield running


async def anything_goes() -> None:
    """No quota on new events here."""


class MeanwhileLocks(TicketLocks):
    """The real locks, with ``meanwhile`` run just before the edit takes its lock: what
    another request did between the edit's first read and its lock."""

    def __init__(self, runtime: Runtime, meanwhile: Callable[[], Awaitable[None]]) -> None:
        super().__init__(runtime.redis, runtime.keys)
        self.meanwhile = meanwhile

    async def begin_edit(self, ticket_id: str, listing_id: str | None = None) -> str | None:
        await self.meanwhile()
        return await super().begin_edit(ticket_id, listing_id)


async def listed(runtime: Runtime, settings: Settings) -> Ticket:
    record, _ = await catalogue.find_or_create(
        EventIn.model_validate(event_body("Edit Night")), runtime.uow
    )
    return await service.create_ticket(
        seller_id=SELLER,
        fees=FeeSchedule.of(settings),
        data=CreateTicketRequest.model_validate(listing(str(record.id), 2_000)),
        uow=runtime.uow,
        before_creating=anything_goes,
    )


def counting_reads(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    reads: list[object] = []
    note_reads(monkeypatch, Ticket, "get", reads)
    return reads


async def edit(
    runtime: Runtime, settings: Settings, ticket: Ticket, locks: TicketLocks, body: dict[str, Any]
) -> Ticket:
    return await service.update_ticket(
        ticket_id=str(ticket.id),
        user_id=SELLER,
        data=UpdateTicketRequest.model_validate(body),
        fees=FeeSchedule.of(settings),
        locks=locks,
        uow=runtime.uow,
    )


async def test_an_edit_reads_the_ticket_once(
    runtime: Runtime, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    ticket = await listed(runtime, settings)
    reads = counting_reads(monkeypatch)

    price = {"price": {"amount": 2_500, "currency": "usd"}}
    edited = await edit(runtime, settings, ticket, runtime.ticket_locks, price)

    assert reads == [ticket.id]
    assert edited.version == ticket.version + 1
    assert edited.breakdown.list_price.amount == 2_500
    assert await runtime.ticket_locks.holder(str(ticket.id)) is None  # the edit let go


async def test_a_change_between_the_read_and_the_lock_is_read_again_and_kept(
    runtime: Runtime, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    ticket = await listed(runtime, settings)

    async def retitled() -> None:  # the owner's other tab, a moment earlier
        await service.commit(ticket, {"title": "Front row"}, runtime.uow)

    reads = counting_reads(monkeypatch)
    locks = MeanwhileLocks(runtime, retitled)
    price = {"price": {"amount": 2_500, "currency": "usd"}}
    edited = await edit(runtime, settings, ticket, locks, price)

    assert reads == [ticket.id, ticket.id]  # read again under the lock, once
    assert edited.version == ticket.version + 2
    stored = await Ticket.get(ticket.id)
    assert stored is not None
    assert stored.title == "Front row"  # the other change kept
    assert stored.breakdown.list_price.amount == 2_500
    assert stored.version == edited.version


async def test_a_lock_recorded_between_the_read_and_the_edits_lock_refuses_the_edit(
    runtime: Runtime, settings: Settings
) -> None:
    ticket = await listed(runtime, settings)

    async def locked_by_a_buyer() -> None:  # an order's lock, recorded, then let go in Redis
        await service.commit(ticket, {"status": TicketStatus.LOCKED.value}, runtime.uow)

    locks = MeanwhileLocks(runtime, locked_by_a_buyer)
    price = {"price": {"amount": 2_500, "currency": "usd"}}
    with pytest.raises(Conflict, match="locked and cannot be edited"):
        await edit(runtime, settings, ticket, locks, price)

    stored = await Ticket.get(ticket.id)
    assert stored is not None
    assert stored.breakdown.list_price.amount == 2_000  # nothing written
    assert stored.version == ticket.version + 1
    assert await runtime.ticket_locks.holder(str(ticket.id)) is None  # the edit let go
