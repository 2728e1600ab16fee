"""A payments process that dies between Stripe's answer and its own write loses nothing:
on restart it settles the payment from Stripe."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from redis.asyncio import Redis

from backend.common.db import open_database
from backend.common.keys import RedisKeys
from backend.common.settings import Settings
from backend.common.ticket_locks import HolderKind, TicketLocks
from backend.payments.app import create_app as create_payments
from backend.payments.gateway import IntentState, PaymentGateway
from backend.payments.models import OrderReplica, Payment
from tests.support.api import User, eventually
from tests.support.servers import serve
from tests.support.stack import running_stack
from wire.values import Money

pytestmark = pytest.mark.integration

WITHOUT_PAYMENTS = ("auth", "tickets", "orders", "expiration")


async def test_charge_made_before_a_crash_completes_the_sale_on_restart(
    market_settings: Settings, redis: Redis, keys: RedisKeys
) -> None:
    locks = TicketLocks(redis, keys)
    async with (
        running_stack(market_settings, only=WITHOUT_PAYMENTS) as stack,
        User(stack.url, "seller") as seller,
        User(stack.url, "buyer") as buyer,
    ):
        ticket = await seller.sell(price=6_100)
        ordered = await eventually(lambda: buyer.buy(ticket["id"]), lambda r: r.status_code != 404)
        assert ordered.status_code == 201, ordered.text
        order = ordered.json()

        # What the crashed request had done: held the ticket, recorded the payment with
        # its PaymentIntent, and been charged by Stripe — but never written the result.
        assert await locks.start_paying(ticket["id"], order["id"], 600_000)
        gateway = PaymentGateway(market_settings)
        mongo = await open_database(
            market_settings.mongo_url,
            market_settings.database_name("payments"),
            [Payment, OrderReplica],
        )
        try:
            intent_id = await gateway.create_intent(
                order_id=order["id"],
                amount=Money(amount=6_100, currency="usd"),
                payment_method_id="pm_card_visa",
            )
            assert (await gateway.confirm(intent_id)).state is IntentState.SUCCEEDED
            long_ago = datetime.now(UTC) - timedelta(minutes=1)
            await Payment(
                order_id=order["id"],
                ticket_id=ticket["id"],
                buyer_id=buyer.id,
                amount=Money(amount=6_100, currency="usd"),
                payment_method_id="pm_card_visa",
                payment_intent_id=intent_id,
                created_at=long_ago,
                updated_at=long_ago,
            ).insert()
        finally:
            await gateway.close()
            await mongo.close()

        # The restart: the payments service settles it from Stripe on its own.
        async with serve(create_payments(market_settings)) as payments_url:
            done = await eventually(
                lambda: buyer.order(order["id"]), lambda o: o["status"] == "complete", timeout=20
            )
            assert done["price"]["amount"] == 6_100
            sold = await eventually(
                lambda: buyer.ticket(ticket["id"]), lambda t: t["status"] == "sold"
            )
            assert sold["ownerId"] == buyer.id
            holder = await locks.holder(ticket["id"])
            assert holder is not None and holder.kind is HolderKind.SOLD
            payment = await buyer.http.get(f"{payments_url}/api/payments/{order['id']}")
            assert payment.status_code == 200
            assert payment.json()["status"] == "succeeded"
            assert payment.json()["paymentIntentId"] == intent_id
