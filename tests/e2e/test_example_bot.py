"""The documented example bot, run against the whole backend: it buys what it should."""

from __future__ import annotations

import argparse
import asyncio
from functools import partial
from typing import Any

import pytest

from backend.common.settings import Settings
from examples.bot import run
from tests.support.api import PASSWORD, User, eventually
from tests.support.stack import Stack

pytestmark = pytest.mark.e2e


@pytest.fixture
def market_settings(
    settings: Settings, stripe_url: str, request: pytest.FixtureRequest
) -> Settings:
    """The stack's settings; a test may tune them (``indirect`` parametrization)."""
    update: dict[str, Any] = {"stripe_api_base": stripe_url, "lock_ttl_seconds": 900.0}
    update.update(getattr(request, "param", {}))
    return settings.model_copy(update=update)


def bot_args(stack: Stack, bot: User, event: str | None = None) -> argparse.Namespace:
    return argparse.Namespace(
        url=stack.url,
        email=bot.email,
        password=PASSWORD,
        max_price=5_000,
        pay="pm_card_visa",
        event=event,
    )


async def test_bot_buys_tickets_under_its_price_and_ignores_the_rest(stack: Stack) -> None:
    async with User(stack.url, "seller") as seller, User(stack.url, "bot") as bot:
        task = asyncio.create_task(run(bot_args(stack, bot)))
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


async def test_bot_watching_one_event_buys_only_its_tickets(stack: Stack) -> None:
    async with User(stack.url, "seller") as seller, User(stack.url, "bot") as bot:
        wanted = await seller.sell(price=9_000)  # creates the event "The Band" at "Arena"
        copy = wanted["event"]
        other_event = {"name": "Another Band", "kind": copy["kind"], "venue": copy["venue"],
                       "startsAt": copy["startsAt"]}  # fmt: skip
        task = asyncio.create_task(run(bot_args(stack, bot, event=wanted["event"]["id"])))
        try:
            elsewhere = await seller.sell(price=1_000, event=other_event)
            cheap = await seller.sell(price=4_000)  # the default event: the one ``wanted`` is for
            assert cheap["event"]["id"] == wanted["event"]["id"]
            sold = await eventually(
                lambda: bot.ticket(cheap["id"]), lambda t: t["status"] == "sold", timeout=20
            )
            assert sold["ownerId"] == bot.id
            assert (await bot.ticket(elsewhere["id"]))["status"] == "available"
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)


@pytest.mark.parametrize(
    "market_settings",
    [{"order_rate_per_user": 1, "order_rate_window_seconds": 3}],
    indirect=True,
    ids=["one-order-per-3s"],
)
async def test_bot_reads_its_order_budget_and_waits_instead_of_being_refused(
    stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    async with User(stack.url, "seller") as seller, User(stack.url, "bot") as bot:
        task = asyncio.create_task(run(bot_args(stack, bot)))
        try:
            tickets = [await seller.sell(price=4_000), await seller.sell(price=4_500)]
            for ticket in tickets:
                sold = await eventually(
                    partial(bot.ticket, ticket["id"]), lambda t: t["status"] == "sold", timeout=30
                )
                assert sold["ownerId"] == bot.id
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
    said = capsys.readouterr().out
    assert "order budget: 0 of 1 left" in said, said
    assert "pausing" in said, said  # it waited for the budget to renew...
    assert "told to wait" not in said, said  # ...so the API never had to refuse it
