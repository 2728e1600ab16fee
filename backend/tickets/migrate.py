"""Move tickets listed before the events catalogue onto it — run once after upgrading
(running it again changes nothing):

    python -m backend.tickets.migrate

Each ticket whose copy of its event has no ``id`` gets the catalogue's event with that
name, venue and start time (created when there is none: ``catalogue.merge``, so two
sellers' copies of one concert become one event), committed with its ``TicketUpdated``
so that the other services' replicas and the live gateway learn it. The events'
availability is counted as those facts come back to the tickets service.
Reads the tickets service's settings (``MONGO_URL``, ``REDIS_URL``, ``NAMESPACE``…).
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Sequence

from backend.common.runtime import open_runtime
from backend.common.settings import Settings
from backend.common.unit_of_work import UnitOfWork
from backend.tickets import catalogue
from backend.tickets.models import EventRecord, Ticket
from backend.tickets.service import commit
from wire.events import EventFields, Venue

_ATTEMPTS = 5


async def migrate(uow: UnitOfWork) -> tuple[int, int]:
    """(tickets moved, events created)."""
    moved = created = 0
    for ticket in await Ticket.find({"event.id": None}).to_list():
        did_move, did_create = await _move(ticket, uow)
        moved, created = moved + did_move, created + did_create
    return moved, created


async def _move(ticket: Ticket, uow: UnitOfWork) -> tuple[bool, bool]:
    """Put one ticket on the catalogue (retried when it changed meanwhile)."""
    created = False
    current: Ticket | None = ticket
    for _ in range(_ATTEMPTS):
        if current is None or current.event.id is not None:
            break  # gone, or moved meanwhile
        copy = current.event
        fields = EventFields(
            name=copy.name,
            kind=copy.kind,
            venue=Venue(name=copy.venue, city=copy.city),
            starts_at=copy.starts_at,
            status=copy.status,
        )
        record, new = await catalogue.merge(fields, uow)
        created = created or new
        event = catalogue.snapshot(record).model_dump(by_alias=True)
        if await commit(current, {"event": event}, uow) is not None:
            return True, created
        current = await Ticket.get(current.id)
    return False, created


async def run(settings: Settings) -> str:
    async with open_runtime("tickets", settings, [Ticket, EventRecord]) as runtime:
        moved, created = await migrate(runtime.uow)
        await runtime.relay.flush()
    return f"{moved} tickets moved onto the catalogue, {created} events created"


def main(argv: Sequence[str] | None = None) -> int:
    del argv
    print(asyncio.run(run(Settings())))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
