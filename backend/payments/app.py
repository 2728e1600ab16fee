"""The payments service: charges cards with Stripe PaymentIntents."""

from __future__ import annotations

from starlette.applications import Starlette

from backend.common.endpoint import Endpoint
from backend.common.runtime import Runtime
from backend.common.settings import Settings
from backend.common.web import Wiring, service_app
from backend.payments import routes
from backend.payments.gateway import PaymentGateway
from backend.payments.handlers import PaymentHandlers
from backend.payments.models import OrderReplica, Payment
from backend.payments.schemas import CreatePaymentRequest
from backend.payments.service import Payments
from wire.payments import CardSetupPublic, PaymentPublic

SERVICE = "payments"

ENDPOINTS = [
    Endpoint("POST", "/api/payments", routes.create, "Pay an order by card",
             body=CreatePaymentRequest, response=PaymentPublic, status=201, auth=True,
             errors=(402, 403, 404, 409)),
    Endpoint("POST", "/api/payments/card-setup", routes.card_setup,
             "Start card entry: a SetupIntent for Stripe.js", response=CardSetupPublic,
             status=201, auth=True, errors=(429,)),
    Endpoint("GET", "/api/payments/{order_id}", routes.show, "The payment of my order",
             response=PaymentPublic, auth=True, errors=(403, 404)),
]  # fmt: skip


def wire(runtime: Runtime) -> Wiring:
    gateway = PaymentGateway(runtime.settings)
    payments = Payments(
        gateway=gateway,
        locks=runtime.ticket_locks,
        uow=runtime.uow,
        keys=runtime.keys,
        hold_s=runtime.settings.payment_hold_seconds,
        lease_s=runtime.settings.payment_lease_seconds,
    )
    return Wiring(
        subscriptions=PaymentHandlers().subscriptions(),
        workers={"reconciler": payments.run_reconciler},
        state={"payments": payments},
        on_close=[gateway.close],
    )


def create_app(settings: Settings | None = None) -> Starlette:
    return service_app(
        SERVICE,
        settings or Settings(),
        endpoints=ENDPOINTS,
        documents=[Payment, OrderReplica],
        wiring=wire,
    )
