"""A ticket's whole life through the public API: list, lock, pay, sold, resell."""

from __future__ import annotations

import pytest

from tests.support.api import User, eventually
from tests.support.stack import Stack

pytestmark = pytest.mark.integration


async def test_buyer_locks_pays_and_owns_the_ticket(stack: Stack) -> None:
    async with User(stack.url, "seller") as seller, User(stack.url, "buyer") as buyer:
        ticket = await seller.sell(price=7_500)
        order = await eventually(lambda: buyer.buy(ticket["id"]), lambda r: r.status_code != 404)
        assert order.status_code == 201, order.text
        body = order.json()
        assert body["status"] == "created"
        assert body["price"] == {"amount": 7_500, "currency": "usd"}

        # The order on a ticket is its seller's and owner's to see (anyone else: null).
        locked = await eventually(
            lambda: seller.ticket(ticket["id"]), lambda t: t["status"] == "locked"
        )
        assert locked["lockedUntil"] is not None and locked["orderId"] == body["id"]

        paid = await buyer.pay(body["id"])
        assert paid.status_code == 201, paid.text
        assert paid.json()["status"] == "succeeded"

        sold = await eventually(lambda: buyer.ticket(ticket["id"]), lambda t: t["status"] == "sold")
        assert sold["ownerId"] == buyer.id
        done = await eventually(
            lambda: buyer.order(body["id"]), lambda o: o["status"] == "complete"
        )
        assert done["price"]["amount"] == 7_500
