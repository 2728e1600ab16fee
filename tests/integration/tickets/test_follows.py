"""A ticket's fact brings it after its event (``TicketHandlers.on_ticket_fact``), on the real
Mongo-wire server and redis-server: a fact that shows its ticket already following the
event costs no read of the ticket; one written from an older read of the event (a lock
that won its compare-and-set over the event's update) has the ticket read and brought up
to date."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from beanie import PydanticObjectId

from backend.common.facts import TicketUpdated
from backend.common.fees import FeeSchedule
from backend.common.runtime import Runtime, open_runtime
from backend.common.settings import Settings
from backend.tickets import catalogue, service
from backend.tickets.handlers import TicketHandlers
from backend.tickets.models import EventRecord, Ticket
from backend.tickets.recounts import Recounts
from backend.tickets.schemas import CreateTicketRequest, EventIn, EventStatusRequest
from tests.support.events import event_body, in_days, listing

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


async def test_a_fact_following_its_event_reads_nothing_and_one_behind_is_brought_up(
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
    handlers = TicketHandlers(
        runtime.ticket_locks, runtime.uow, Recounts(runtime.redis, runtime.keys)
    )
    reads: list[object] = []
    read = Ticket.get

    async def counted(*args: Any, **kwargs: Any) -> Ticket | None:
        reads.append(args[0])
        return await read(*args, **kwargs)

    monkeypatch.setattr(Ticket, "get", counted)
    fact = service.ticket_event(TicketUpdated, ticket)

    await handlers.on_ticket_fact(fact)  # the ticket as listed follows its event
    assert reads == []
    assert (await stored(ticket.id))["version"] == ticket.version

    moved = EventStatusRequest.model_validate({"status": "postponed", "startsAt": in_days(30)})
    await catalogue.change_status(event_id=str(record.id), data=moved, uow=runtime.uow)
    await handlers.on_ticket_fact(fact)  # the same version, now behind its event
    assert reads == [ticket.id]
    after = await stored(ticket.id)
    assert after["version"] == ticket.version + 1
    assert after["event"]["status"] == "postponed"
