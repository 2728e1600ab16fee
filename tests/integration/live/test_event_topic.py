"""The ``event:<id>`` topic: a snapshot of the event's listings (cheapest first) and its
availability, then every change of its listings — each with the availability after it —
and nothing of other events; a watcher that resumes misses nothing."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.api import User, eventually, ticket_body
from tests.support.live import LiveClient
from tests.support.stack import Stack

pytestmark = pytest.mark.integration


def for_event(event_id: str, price: int) -> dict[str, Any]:
    return {"title": "Seat", "eventId": event_id, "price": {"amount": price, "currency": "usd"}}


async def list_for(seller: User, event_id: str, price: int) -> dict[str, Any]:
    response = await seller.http.post("/api/tickets", json=for_event(event_id, price))
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def test_an_event_page_sees_its_listings_lock_sell_and_its_availability(
    stack: Stack,
) -> None:
    async with User(stack.url, "seller") as seller, User(stack.url, "buyer") as buyer:
        rock = await seller.sell(3_000)  # creates the event "The Band" at "Arena"
        event_id = rock["event"]["id"]
        elsewhere = await seller.sell(1_000, event=ticket_body()["event"] | {"name": "Other"})
        assert elsewhere["event"]["id"] != event_id
        watcher = await LiveClient.open(stack.url)
        try:
            await eventually(
                lambda: stack_event(seller, event_id), lambda e: e["availability"]["available"] == 1
            )
            await watcher.subscribe(f"event:{event_id}")
            snapshot = await watcher.until("snapshot")
            await watcher.until("subscribed")
            assert [t["id"] for t in snapshot["tickets"]] == [rock["id"]]
            assert snapshot["availability"] == {
                "available": 1, "locked": 0, "sold": 0,
                "minPrice": {"amount": 3_000, "currency": "usd"},
            }  # fmt: skip

            cheap = await list_for(seller, event_id, 2_000)
            listed = await watcher.until("ticket.listed")
            assert listed["ticketId"] == cheap["id"]
            assert listed["availability"]["available"] == 2
            assert listed["availability"]["minPrice"]["amount"] == 2_000

            order = await eventually(lambda: buyer.buy(cheap["id"]), lambda r: r.status_code != 404)
            assert order.status_code == 201, order.text
            locked = await watcher.until("ticket.locked")
            assert locked["ticketId"] == cheap["id"]
            assert locked["availability"] | {"minPrice": None} == {
                "available": 1, "locked": 1, "sold": 0, "minPrice": None,
            }  # fmt: skip
            assert locked["availability"]["minPrice"]["amount"] == 3_000

            assert (await buyer.pay(order.json()["id"])).status_code == 201
            sold = await watcher.until("ticket.sold")
            assert sold["availability"]["sold"] == 1
            assert sold["availability"]["locked"] == 0

            # Another event's listing never reaches this topic; resuming from the last
            # cursor misses nothing of this one.
            await list_for(seller, elsewhere["event"]["id"], 500)
            edit = await seller.edit(rock["id"], price={"amount": 2_500, "currency": "usd"})
            assert edit.status_code == 200, edit.text
            changed = await watcher.until("ticket.price_changed")
            assert changed["ticketId"] == rock["id"]
            assert changed["availability"]["minPrice"]["amount"] == 2_500
        finally:
            await watcher.close()

        again = await LiveClient.open(stack.url)
        try:
            await again.subscribe(f"event:{event_id}", since=listed["cursor"])
            seen = []  # the missed messages come first, then "subscribed"
            while (message := await again.next())["type"] != "subscribed":
                seen.append((message["type"], message["ticketId"]))
            assert seen == [
                ("ticket.locked", cheap["id"]),
                ("ticket.sold", cheap["id"]),
                ("ticket.price_changed", rock["id"]),
            ]
        finally:
            await again.close()


async def stack_event(user: User, event_id: str) -> dict[str, Any]:
    response = await user.http.get(f"/api/events/{event_id}")
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]
