"""The public feed tells what happens on the market, not who buys what: anonymous
``ticket.*`` messages and snapshots carry no buyer id and no order id; the buyer and the
seller learn the order on ``me``, and the REST API shows a ticket in full to them only."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import connect

from tests.support.api import User, eventually
from tests.support.live import LiveClient
from tests.support.stack import Stack

pytestmark = pytest.mark.integration


def live_url(stack: Stack) -> str:
    return "ws" + stack.url.removeprefix("http") + "/api/live"


def cookie_of(user: User) -> dict[str, str]:
    return {"Cookie": f"session={user.http.cookies['session']}"}


def tells(message: dict[str, Any], *secrets: str) -> list[str]:
    """Which of ``secrets`` appear anywhere in ``message``."""
    text = json.dumps(message)
    return [secret for secret in secrets if secret in text]


async def test_public_ticket_messages_name_no_buyer_and_no_order(stack: Stack) -> None:
    watcher = await LiveClient.open(stack.url)
    try:
        await watcher.subscribe("tickets")
        await watcher.until("subscribed")
        async with User(stack.url, "seller") as seller, User(stack.url, "buyer") as buyer:
            # The buyer's browser: its session cookie on the handshake.
            mine = LiveClient(await connect(live_url(stack), additional_headers=cookie_of(buyer)))
            try:
                await mine.subscribe("me")
                await mine.until("subscribed")
                ticket = await seller.sell(price=3_300)
                listed = await watcher.until("ticket.listed", ticketId=ticket["id"])
                # A listing says who sells it: then its owner is its seller.
                assert listed["ticket"]["ownerId"] == listed["ticket"]["sellerId"] == seller.id
                order = await eventually(
                    lambda: buyer.buy(ticket["id"]), lambda r: r.status_code != 404
                )
                assert order.status_code == 201, order.text
                order_id = order.json()["id"]
                locked = await watcher.until("ticket.locked", ticketId=ticket["id"])
                assert locked["ticket"]["orderId"] is None
                assert tells(locked, buyer.id, order_id) == []
                # The buyer learns the order on ``me``.
                created = await mine.until("order.created", orderId=order_id)
                assert created["order"]["buyerId"] == buyer.id
                assert created["ticketId"] == ticket["id"]

                assert (await buyer.pay(order_id)).status_code == 201
                sold = await watcher.until("ticket.sold", ticketId=ticket["id"])
                assert (sold["ticket"]["ownerId"], sold["ticket"]["orderId"]) == ("", None)
                assert tells(sold, buyer.id, order_id) == []
                completed = await mine.until("order.completed", orderId=order_id)
                assert completed["order"]["buyerId"] == buyer.id

                # Snapshots too: the one ticket's, taken now, after the sale.
                late = await LiveClient.open(stack.url)
                try:
                    await late.subscribe(f"ticket:{ticket['id']}")
                    snapshot = await late.until("snapshot")
                    assert snapshot["ticket"]["status"] == "sold"
                    assert tells(snapshot, buyer.id, order_id) == []
                finally:
                    await late.close()
                # A resume replays the same public frames.
                resumed = await LiveClient.open(stack.url)
                try:
                    await resumed.subscribe("tickets", since=listed["cursor"])
                    replayed = await resumed.until("ticket.sold", ticketId=ticket["id"])
                    assert tells(replayed, buyer.id, order_id) == []
                finally:
                    await resumed.close()
            finally:
                await mine.close()
    finally:
        await watcher.close()


async def test_rest_shows_buyer_and_order_to_the_seller_and_owner_only(stack: Stack) -> None:
    async with (
        User(stack.url, "seller") as seller,
        User(stack.url, "buyer") as buyer,
        User(stack.url, "other") as other,
    ):
        ticket = await seller.sell(price=2_100)
        order = await eventually(lambda: buyer.buy(ticket["id"]), lambda r: r.status_code != 404)
        assert order.status_code == 201, order.text
        order_id = order.json()["id"]
        locked = await eventually(
            lambda: other.ticket(ticket["id"]), lambda t: t["status"] == "locked"
        )
        assert locked["orderId"] is None and tells(locked, buyer.id, order_id) == []
        assert (await seller.ticket(ticket["id"]))["orderId"] == order_id
        assert (await buyer.pay(order_id)).status_code == 201
        sold = await eventually(lambda: other.ticket(ticket["id"]), lambda t: t["status"] == "sold")
        assert (sold["ownerId"], sold["orderId"]) == ("", None)
        async with httpx.AsyncClient(base_url=stack.url) as anonymous:
            answer = await anonymous.get(f"/api/tickets/{ticket['id']}")
            assert answer.status_code == 200 and tells(answer.json(), buyer.id, order_id) == []
        market = await other.http.get("/api/tickets", params={"status": "sold"})
        assert tells(market.json(), buyer.id, order_id) == []
        for party in (seller, buyer):
            seen = await party.ticket(ticket["id"])
            assert (seen["ownerId"], seen["orderId"]) == (buyer.id, order_id)
        [bought] = (await buyer.http.get("/api/tickets/mine")).json()["items"]
        assert (bought["ownerId"], bought["orderId"]) == (buyer.id, order_id)
