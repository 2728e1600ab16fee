"""The documented example bot, run against the whole backend: it buys what it should."""

from __future__ import annotations

import argparse
import asyncio

import pytest

from examples.bot import run
from tests.support.api import PASSWORD, User, eventually
from tests.support.stack import Stack

pytestmark = pytest.mark.e2e


async def test_bot_buys_tickets_under_its_price_and_ignores_the_rest(stack: Stack) -> None:
    async with User(stack.url, "seller") as seller, User(stack.url, "bot") as bot:
        args = argparse.Namespace(
            url=stack.url, email=bot.email, password=PASSWORD, max_price=5_000, pay="pm_card_visa"
        )
        task = asyncio.create_task(run(args))
        try:
            pricey = await seller.sell(price=9_000)
            await asyncio.sleep(0)  # listed while the bot watches, or in its snapshot
            cheap = await seller.sell(price=4_000)
            sold = await eventually(
                lambda: bot.ticket(cheap["id"]), lambda t: t["status"] == "sold", timeout=20
            )
            assert sold["ownerId"] == bot.id
            # Lowering the price under the bot's limit makes it buy the other one too.
            assert (await seller.edit(pricey["id"], price={"amount": 5_000})).status_code == 200
            sold = await eventually(
                lambda: bot.ticket(pricey["id"]), lambda t: t["status"] == "sold", timeout=20
            )
            assert sold["ownerId"] == bot.id
            assert sold["price"]["amount"] == 5_000
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
