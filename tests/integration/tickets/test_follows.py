"""A ticket's fact marks its event (``TicketHandlers.on_ticket_fact``), and the recount round
(``handlers.settle``) brings the event's tickets that fell behind it up to date, on the
real Mongo-wire server and redis-server: the fact reads nothing; a ticket written from
an older read of the event (a lock that won its compare-and-set over the event's update)
is brought up to date by the next round."""

from __future__ import annotations

from collections.abc import AsyncIterator
from functools import partial
from typing import Any

import pytest
from beanie import PydanticObjectId

from backend.common.facts import TicketUpdated
from backend.common.fees import FeeSchedule
from backend.common.runtime import Runtime, open_runtime
from backend.common.settings import Settings
from backend.tickets import catalogue, service
from backend.tickets.handlers import TicketHandlers, settle
from backend.tickets.models import EventRecord, Ticket
from backend.tickets.recounts import Recounts
from backend.tickets.schemas import CreateTicketRequest, EventIn, EventStatusRequest
from tests.support.events import event_body, in_days, listing
from tests.support.reads import note_reads

pytestmark = pytest.mark.integration


@pytest.fixture
async def runtime(settings: Settings) -> AsyncIterator[Runtime]:
    async with open_runtime("tickets", settings, [Ticket, EventRecord]) as running:
        yield running


async def anything_goes() -> None:
    """No quota on new events here."""


async def stored(ticket_id: PydanticObjectId | None) -> dict[str, Any]:
    found = await Ticket.get_pymongo_collection().find_one({"_id": ticket_id})
    assert found is not None
    return dict(found)


async def test_a_ticket_fact_reads_nothing_and_the_round_brings_a_ticket_behind_its_event_up(
    runtime: Runtime, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    record, _ = await catalogue.find_or_create(
        EventIn.model_validate(event_body("Follow Night")), runtime.uow
    )
    ticket = await service.create_ticket(
        seller_id="5" * 24,
        fees=FeeSchedule.of(settings),
        data=CreateTicketRequest.model_validate(listing(str(record.id), 2_000)),
        uow=runtime.uow,
        before_creating=anything_goes,
    )
    recounts = Recounts(runtime.redis, runtime.keys, recount=partial(settle, runtime.uow))
    handlers = TicketHandlers(runtime.ticket_locks, runtime.uow, recounts)
    reads: list[str] = []
    for document in (Ticket, EventRecord):
        for name in ("get", "find"):
            note_reads(monkeypatch, document, name, reads, f"{document.__name__}.{name}")
    fact = service.ticket_event(TicketUpdated, ticket)

    await handlers.on_ticket_fact(fact)  # the ticket as listed: its event is marked
    assert reads == []
    assert await recounts.round() == 1  # the event, read; no ticket behind it
    assert reads == ["EventRecord.get", "Ticket.find"]
    assert (await stored(ticket.id))["version"] == ticket.version

    moved = EventStatusRequest.model_validate({"status": "postponed", "startsAt": in_days(30)})
    await catalogue.change_status(event_id=str(record.id), data=moved, uow=runtime.uow)
    # The same version again (a lock written from a read before the event moved).
    await handlers.on_ticket_fact(fact)
    assert await recounts.round() == 1
    after = await stored(ticket.id)
    assert after["version"] == ticket.version + 1
    assert after["event"]["status"] == "postponed"
    counted_event = await EventRecord.get_pymongo_collection().find_one({"_id": record.id})
    assert counted_event is not None
    assert counted_event["availability"]["available"] == 1
