"""The payments service: charges cards with Stripe PaymentIntents."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

from starlette.applications import Starlette

from backend.common.clock import utcnow
from backend.common.endpoint import Endpoint
from backend.common.runtime import Runtime
from backend.common.settings import Settings
from backend.common.user_replica import UserReplica
from backend.common.web import Wiring, service_app
from backend.payments import routes
from backend.payments.connect import ConnectGateway
from backend.payments.gateway import PaymentGateway
from backend.payments.handlers import PaymentHandlers
from backend.payments.mail import Mail, Mailer
from backend.payments.models import CancelledEvent, OrderReplica, Payment, PayoutAccount
from backend.payments.payouts import Clock, Payouts
from backend.payments.refunds import Refunds
from backend.payments.schemas import CreatePaymentRequest, RefundQuery
from backend.payments.service import Payments
from backend.payments.workers import MoneyWorkers
from wire.payments import (
    CardSetupPublic,
    OnboardingLink,
    PaymentPublic,
    PayoutAccountPublic,
    RefundProgress,
    SalesList,
)

SERVICE = "payments"
DOCUMENTS = [Payment, OrderReplica, UserReplica, PayoutAccount, CancelledEvent, Mail]

ENDPOINTS = [
    Endpoint("POST", "/api/payments", routes.create, "Pay an order by card",
             body=CreatePaymentRequest, response=PaymentPublic, status=201, auth=True,
             errors=(402, 403, 404, 409)),
    Endpoint("POST", "/api/payments/card-setup", routes.card_setup,
             "Start card entry: a SetupIntent for Stripe.js", response=CardSetupPublic,
             status=201, auth=True, errors=(429,)),
    Endpoint("GET", "/api/payments/sales", routes.my_sales,
             "My sales: each sale's proceeds and payout state, totals, my payout account",
             response=SalesList, auth=True),
    Endpoint("GET", "/api/payments/payout-account", routes.payout_account,
             "My payout account (Stripe Connect), refreshed from Stripe",
             response=PayoutAccountPublic, auth=True),
    Endpoint("POST", "/api/payments/payout-account", routes.start_onboarding,
             "Connect a payout account: a link to Stripe's onboarding, which returns to "
             "/sales/payouts", response=OnboardingLink, status=201, auth=True, errors=(429,)),
    Endpoint("GET", "/api/payments/refunds", routes.refund_progress,
             "A cancelled event's refunds: how many done, how many to go (operators only)",
             query=RefundQuery, response=RefundProgress, auth=True, errors=(403,)),
    Endpoint("GET", "/api/payments/{order_id}", routes.show, "The payment of my order",
             response=PaymentPublic, auth=True, errors=(403, 404)),
]  # fmt: skip


@dataclass(frozen=True, slots=True)
class PaymentParts:
    """The payments service's parts: the card charges and all that follows them."""

    payments: Payments
    connect: ConnectGateway
    workers: MoneyWorkers
    mailer: Mailer

    async def close(self) -> None:
        await self.payments.gateway.close()
        await self.connect.close()


def parts_of(runtime: Runtime, clock: Clock = utcnow) -> PaymentParts:
    settings = runtime.settings
    gateway = PaymentGateway(settings)
    payments = Payments(
        gateway=gateway,
        locks=runtime.ticket_locks,
        uow=runtime.uow,
        keys=runtime.keys,
        hold_s=settings.payment_hold_seconds,
        lease_s=settings.payment_lease_seconds,
        payout_delay=timedelta(days=settings.payout_delay_days),
    )
    connect = ConnectGateway(settings, settings.stripe_secret_key)
    mailer = Mailer(settings)
    workers = MoneyWorkers(
        Refunds(payments, gateway, runtime.uow),
        Payouts(payments, connect, runtime.uow, clock),
        mailer,
        settings.money_poll_seconds,
    )
    return PaymentParts(payments, connect, workers, mailer)


def wire(runtime: Runtime, clock: Clock = utcnow) -> Wiring:
    money = parts_of(runtime, clock)
    handlers = PaymentHandlers(money.mailer, money.workers.wake)
    workers: dict[str, Callable[[], Awaitable[None]]] = {
        "reconciler": money.payments.run_reconciler
    }
    if runtime.settings.money_workers:
        workers |= money.workers.loops()
    return Wiring(
        subscriptions=handlers.subscriptions(),
        workers=workers,
        state={"payments": money.payments, "connect": money.connect},
        on_close=[money.close],
    )


def create_app(settings: Settings | None = None, *, clock: Clock = utcnow) -> Starlette:
    """``clock``: the payouts worker's (a test's, to pass an event's date unslept)."""
    return service_app(
        SERVICE,
        settings or Settings(),
        endpoints=ENDPOINTS,
        documents=DOCUMENTS,
        wiring=lambda runtime: wire(runtime, clock),
    )
