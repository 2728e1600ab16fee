"""``python -m backend.tickets.migrate``: tickets listed before the events catalogue get
its events (two sellers' copies of one concert become one event), the other services
learn it, and a second run changes nothing."""

from __future__ import annotations

import httpx
import pytest
from pymongo import AsyncMongoClient

from backend.common.settings import Settings
from tests.support.api import User, eventually, ticket_body
from tests.support.commands import run_command
from tests.support.market import place_order

pytestmark = pytest.mark.integration


async def test_tickets_from_before_the_catalogue_are_moved_onto_it_once(
    seller: User,
    buyer: User,
    other: User,
    anonymous: httpx.AsyncClient,
    market_settings: Settings,
    mongo: AsyncMongoClient[dict[str, object]],
) -> None:
    body = ticket_body(4_000)
    tickets = [await seller.sell(4_000, event=body["event"]), await other.sell(3_000)]
    lone = await seller.sell(2_000, event=body["event"] | {"name": "Another Band"})
    # The tickets service has followed every listing (it would write the event back).
    for ticket, count in ((tickets[0], 2), (lone, 1)):
        await eventually(
            lambda t=ticket: anonymous.get(f"/api/events/{t['event']['id']}"),  # type: ignore[misc]
            lambda r, n=count: r.json()["availability"]["available"] == n,  # type: ignore[misc]
        )
    # As they were stored before the catalogue: the event's copy without id or city.
    db = mongo[market_settings.database_name("tickets")]
    await db["tickets"].update_many({}, {"$unset": {"event.id": "", "event.city": ""}})
    await db["events"].delete_many({})

    migrate = "backend.tickets.migrate"
    first = await run_command(migrate, settings=market_settings)
    assert first.endswith("3 tickets moved onto the catalogue, 2 events created"), first
    again = await run_command(migrate, settings=market_settings)
    assert again.endswith("0 tickets moved onto the catalogue, 0 events created"), again

    moved = [await buyer.ticket(t["id"]) for t in (*tickets, lone)]
    assert moved[0]["event"]["id"] == moved[1]["event"]["id"] != moved[2]["event"]["id"]
    assert [t["version"] for t in moved] == [1, 1, 1]  # one TicketUpdated each
    detail = await eventually(
        lambda: anonymous.get(f"/api/events/{moved[0]['event']['id']}"),
        lambda r: r.json()["availability"]["available"] == 2,
    )
    assert [t["price"]["amount"] for t in detail.json()["listings"]] == [3_000, 4_000]
    # The orders service learnt the new version too: an order prices from it.
    order = await place_order(buyer, tickets[0]["id"])
    assert order["ticket"]["event"]["id"] == moved[0]["event"]["id"]
