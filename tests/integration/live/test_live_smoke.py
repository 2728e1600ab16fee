from __future__ import annotations

import pytest

from tests.support.api import User, eventually
from tests.support.live import LiveClient
from tests.support.stack import Stack

pytestmark = pytest.mark.integration


async def test_watcher_sees_listing_lock_and_sale(stack: Stack) -> None:
    watcher = await LiveClient.open(stack.url)
    try:
        await watcher.subscribe("tickets")
        snapshot = await watcher.until("snapshot")
        assert snapshot["tickets"] == []
        await watcher.until("subscribed")
        async with User(stack.url, "seller") as seller, User(stack.url, "buyer") as buyer:
            ticket = await seller.sell(price=4_200)
            listed = await watcher.until("ticket.listed")
            assert listed["ticketId"] == ticket["id"]
            assert listed["ticket"]["price"] == {"amount": 4_200, "currency": "usd"}
            order = await eventually(
                lambda: buyer.buy(ticket["id"]), lambda r: r.status_code != 404
            )
            assert order.status_code == 201
            locked = await watcher.until("ticket.locked")
            assert locked["lockedUntilMs"] == order.json()["expiresAtMs"]
            assert locked["cursor"] > listed["cursor"]
            assert (await buyer.pay(order.json()["id"])).status_code == 201
            sold = await watcher.until("ticket.sold")
            # Who bought it is not told to every watcher; the buyer sees the ticket is theirs.
            assert sold["ticket"]["ownerId"] == ""
            assert (await buyer.ticket(ticket["id"]))["ownerId"] == buyer.id
    finally:
        await watcher.close()
