"""The money workers as they ship (``python -m backend.payments.worker``), SIGKILLed:

- a cancelled event's twenty paid orders are refunded exactly once, fees included, while
  the refunds worker is killed twice: Stripe has one refund per charge, the ledger
  balances and matches it, the buyer gets twenty receipts and twenty refund mails, the
  tickets are void, and an operator follows the progress;
- a payouts worker killed between the Connect transfer and its record pays once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from backend.common.clock import utcnow
from backend.common.settings import Settings
from backend.payments.models import Payment
from tests.support.api import User, eventually
from tests.support.events import as_operator, create_event, event_body, listing
from tests.support.mail import MailSink, sent_mails
from tests.support.market import buy_outright
from tests.support.money import (
    FEES,
    WorkerProcess,
    assert_balanced,
    connect_payouts,
    mails_to,
    refunded,
    sales,
    stripe_api,
)
from tests.support.rest_stack import REST_SERVICES
from tests.support.stack import Stack, running_stack
from wire.values import PaymentStatus

pytestmark = pytest.mark.integration


@pytest.fixture
def apart(market_settings: Settings) -> Settings:
    """The default fees; the money workers left to worker processes (the test's)."""
    return market_settings.model_copy(
        update=FEES
        | {"money_workers": False, "money_poll_seconds": 0.1, "payment_lease_seconds": 5}
    )


@pytest.fixture
async def stack(apart: Settings) -> AsyncIterator[Stack]:
    async with running_stack(apart, REST_SERVICES) as running:
        yield running


async def test_a_cancelled_events_twenty_paid_orders_are_refunded_once_through_two_sigkills(
    apart: Settings,
    mail_sink: MailSink,
    seller: User,
    buyer: User,
    other: User,
) -> None:
    operator = await as_operator(apart, other)
    event = await create_event(seller, event_body("Farewell Tour", days=20))
    tickets = []
    for i in range(20):
        response = await seller.http.post("/api/tickets", json=listing(event["id"], 2_000 + i))
        assert response.status_code == 201, response.text
        tickets.append(response.json())
    orders = [await buy_outright(buyer, t["id"]) for t in tickets]

    async def progress() -> dict[str, Any]:
        response = await operator.http.get("/api/payments/refunds", params={"eventId": event["id"]})
        assert response.status_code == 200, response.text
        return response.json()  # type: ignore[no-any-return]

    forbidden = await buyer.http.get("/api/payments/refunds", params={"eventId": event["id"]})
    assert forbidden.status_code == 403

    worker, mailer = WorkerProcess(apart, "refunds"), WorkerProcess(apart, "mail")
    await mailer.start()
    try:
        await mails_to(mail_sink, buyer, 20)
        await worker.start()
        try:
            cancelled = await operator.http.post(
                f"/api/events/{event['id']}/status", json={"status": "cancelled"}
            )
            assert cancelled.status_code == 200, cancelled.text
            at_kills = []
            for target in (1, 8):
                seen = await refunded(progress, target)
                await worker.kill()
                at_kills.append(seen["refunded"])
                print(f"refunds done when the worker was killed: {seen['refunded']} of 20")
                await worker.start()
            done = await refunded(progress, 20)
        finally:
            await worker.stop()
        assert worker.kills == 2
        assert at_kills[0] < 20, f"the first kill came after the last refund: {at_kills}"
        assert done["pending"] == 0 and done["paidOrders"] == 20
        total = sum(o["price"]["amount"] for o in orders)
        assert done["refundedAmount"] == [{"amount": total, "currency": "usd"}]

        await mails_to(mail_sink, buyer, 40)
        await asyncio.sleep(0.5)  # nothing more comes: no mail twice
        mails = await sent_mails(mail_sink.http_url, buyer.email)
    finally:
        await mailer.stop()

    receipts = [m for m in mails if m["subject"].startswith("Your receipt")]
    refunds = [m for m in mails if m["subject"].startswith("Refunded")]
    assert len(receipts) == 20 and len(refunds) == 20, [m["subject"] for m in mails]
    assert len({m["messageId"] for m in mails}) == 40

    # Every order refunded exactly once at Stripe, in full, and the ledger says the same.
    async with stripe_api(apart) as client:
        for order in orders:
            payment = await Payment.find_one(Payment.order_id == order["id"])
            assert payment is not None and payment.status is PaymentStatus.REFUNDED
            assert payment.payment_intent_id is not None
            found = await client.v1.refunds.list_async(
                {"payment_intent": payment.payment_intent_id}
            )
            assert [r.id for r in found.data] == [payment.refund_id]
            assert found.data[0].amount == order["price"]["amount"]
            assert [e.kind for e in payment.entries] == ["sale", "refund"]
            assert [e.stripe_id for e in payment.entries] == [
                payment.payment_intent_id,
                payment.refund_id,
            ]
            assert set(assert_balanced(payment).values()) == {0}
    void = await buyer.ticket(tickets[0]["id"])
    assert void["status"] == "void"


async def test_a_payouts_worker_killed_between_the_transfer_and_its_record_pays_once(
    apart: Settings, connect_url: str, seller: User, buyer: User
) -> None:
    ticket = await seller.sell(5_000)
    order = await buy_outright(buyer, ticket["id"])
    await connect_payouts(seller)
    # The process has the real clock: the sale's payout is made due by its date instead.
    due = await Payment.get_pymongo_collection().update_one(
        {"order_id": order["id"]}, {"$set": {"payout_due_at": utcnow() - timedelta(minutes=1)}}
    )
    assert due.modified_count == 1
    group = f"order-{order['id']}"

    async def transfers(standin: httpx.AsyncClient) -> list[dict[str, Any]]:
        every = (await standin.get("/_standin/transfers")).json()["transfers"]
        return [t for t in every if t["transfer"]["transfer_group"] == group]

    async def recorded() -> Payment | None:
        return await Payment.find_one(Payment.order_id == order["id"])

    worker = WorkerProcess(apart, "payouts")
    async with httpx.AsyncClient(base_url=connect_url) as standin:
        # Connect answers a transfer only long after making it: the kill falls in between.
        await standin.post("/_standin/faults", json={"transfer_delay_s": 60})
        try:
            await worker.start()
            await eventually(lambda: transfers(standin), lambda found: len(found) == 1, 30)
            await worker.kill()
            payment = await recorded()
            assert payment is not None and payment.transfer_id is None  # made, not recorded
            await standin.post("/_standin/faults", json={"transfer_delay_s": 0})
            await worker.start()
            paid = await eventually(recorded, lambda p: bool(p and p.transfer_id), 30)
        finally:
            await standin.post("/_standin/faults", json={"transfer_delay_s": 0})
            await worker.stop()
        made = await transfers(standin)
    assert len(made) == 1, made  # paid once
    assert paid is not None and paid.transfer_id == made[0]["transfer"]["id"]
    assert made[0]["transfer"]["amount"] == 4_750
    assert [e.kind for e in paid.entries] == ["sale", "payout"]
    assert set(assert_balanced(paid).values()) == {0, 900, -650, -250}
    assert (await sales(seller))["items"][0]["payout"] == "paid"
