"""The money a buyer and a seller are told of on ``me``: a cancelled event's refund (to
both), and the payout (to the seller alone)."""

from __future__ import annotations

import pytest

from backend.common.settings import Settings
from tests.support.api import User
from tests.support.events import as_operator
from tests.support.live import LiveClient
from tests.support.live_fixtures import bearer_token
from tests.support.market import buy_outright
from tests.support.stack import Stack

pytestmark = pytest.mark.integration


async def test_buyer_and_seller_are_told_of_a_refund_on_me(
    stack: Stack, market_settings: Settings
) -> None:
    async with (
        User(stack.url, "seller") as seller,
        User(stack.url, "buyer") as buyer,
        User(stack.url, "operator") as operator,
    ):
        await as_operator(market_settings, operator)
        ticket = await seller.sell(price=3_000)
        order = await buy_outright(buyer, ticket["id"])
        watchers = {}
        for user in (buyer, seller):
            watchers[user.id] = await LiveClient.open(stack.url, token=await bearer_token(user))
            await watchers[user.id].subscribe("me")
            await watchers[user.id].until("snapshot")
        try:
            cancelled = await operator.http.post(
                f"/api/events/{ticket['event']['id']}/status", json={"status": "cancelled"}
            )
            assert cancelled.status_code == 200, cancelled.text
            for watcher in watchers.values():
                told = await watcher.until("order.refunded", timeout=30)
                assert told["orderId"] == order["id"]
                assert told["order"]["refunded"] == {"amount": 3_000, "currency": "usd"}
                assert told["order"].get("paidOut") is None  # the payout was not made
        finally:
            for watcher in watchers.values():
                await watcher.close()
