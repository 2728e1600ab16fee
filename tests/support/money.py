"""Money as the tests drive it: the payouts worker's clock (injected into the service),
``python -m backend.payments.worker`` as a process to kill, and what a test reads back:
sales, mails, refund progress, a sale's ledger."""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import Any

import httpx
import stripe

from backend.common.clock import utcnow
from backend.common.settings import Settings
from backend.payments import ledger
from backend.payments.models import Payment
from tests.support.api import User, eventually
from tests.support.commands import settings_env
from tests.support.mail import MailSink, sent_mails

# The fees of the defaults, written out: what the figures in the tests are computed from.
FEES = {
    "buyer_fee_bps": 1_000,
    "buyer_fee_fixed_cents": 150,
    "seller_fee_bps": 500,
    "seller_fee_fixed_cents": 0,
}


class Clock:
    """The payouts worker's clock, moved by the test (never slept)."""

    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> datetime:
        return self.now

    def set(self, moment: datetime) -> None:
        self.now = moment

    def advance(self, by: timedelta) -> None:
        self.now += by


class WorkerProcess:
    """``python -m backend.payments.worker NAMES…`` as it ships, killed at will."""

    def __init__(self, settings: Settings, *names: str) -> None:
        self.settings = settings
        self.names = names
        self.process: asyncio.subprocess.Process | None = None
        self.kills = 0

    async def start(self) -> None:
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "backend.payments.worker", *self.names,
            env=settings_env(self.settings),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )  # fmt: skip

    async def kill(self) -> None:
        """SIGKILL: no cleanup, no lease released, whatever it was doing cut short."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        await self.process.wait()
        self.kills += 1

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.terminate()
            await asyncio.wait_for(self.process.wait(), timeout=20)


@asynccontextmanager
async def stripe_api(settings: Settings) -> AsyncIterator[stripe.StripeClient]:
    """The official SDK on the test's localstripe, as the payments service has it."""
    http = stripe.HTTPXClient(allow_sync_methods=False)
    try:
        yield stripe.StripeClient(
            settings.stripe_secret_key,
            base_addresses={"api": settings.stripe_api_base},
            http_client=http,
        )
    finally:
        await http.close_async()  # type: ignore[no-untyped-call]


async def sales(user: User) -> dict[str, Any]:
    response = await user.http.get("/api/payments/sales")
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def connect_payouts(seller: User) -> None:
    """The seller's onboarding, through the stand-in's page as a browser would."""
    link = await seller.http.post("/api/payments/payout-account")
    assert link.status_code == 201, link.text
    async with httpx.AsyncClient() as browser:
        done = await browser.post(link.json()["url"])
    assert done.status_code == 303
    assert done.headers["location"].endswith("/sales/payouts?onboarding=done")
    account = await seller.http.get("/api/payments/payout-account")
    assert account.json()["payoutsEnabled"] is True


RECEIPT_LINES = ("Ticket price   50.00 USD", "Service fee    6.50 USD", "Total charged  56.50 USD")


async def mails_to(sink: MailSink, user: User, count: int) -> list[dict[str, Any]]:
    """At least ``count`` mails sent to ``user``."""
    return await eventually(
        lambda: sent_mails(sink.http_url, user.email), lambda m: len(m) >= count, timeout=30
    )


async def refunded(
    progress: Callable[[], Awaitable[dict[str, Any]]], at_least: int
) -> dict[str, Any]:
    return await eventually(progress, lambda p: p["refunded"] >= at_least, timeout=60)


def assert_balanced(payment: Payment) -> dict[str, int]:
    """Each entry balances (the model refuses any other); the sale's account balances."""
    for entry in payment.entries:
        assert sum(line.amount for line in entry.lines) == 0
    return ledger.balances(payment.entries)
