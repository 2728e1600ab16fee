"""A cancelled event's twenty paid orders are refunded exactly once, fees included, while
the refunds worker (``python -m backend.payments.worker refunds``, as it ships) is SIGKILLed
twice: Stripe has one refund per charge, the ledger balances and matches it, the buyer
gets twenty receipts and twenty refund mails, the tickets are void, and an operator
follows the progress."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from backend.common.settings import Settings
from backend.payments.models import Payment
from tests.support.api import User
from tests.support.events import as_operator, create_event, event_body, listing
from tests.support.mail import MailSink, sent_mails
from tests.support.market import buy_outright
from tests.support.money import (
    FEES,
    WorkerProcess,
    assert_balanced,
    mails_to,
    refunded,
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
