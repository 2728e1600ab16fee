"""HTTP routes of the payments service: parse, call a use case, respond."""

from __future__ import annotations

from typing import cast

from starlette.requests import Request
from starlette.responses import Response

from backend.common.auth import require_user
from backend.common.endpoint import respond
from backend.common.errors import parse_body
from backend.common.rate_limits import Quota, client_address
from backend.common.runtime import runtime_of
from backend.payments import service
from backend.payments.models import Payment
from backend.payments.schemas import CreatePaymentRequest
from backend.payments.service import Payments
from wire.payments import CardSetupPublic, PaymentPublic
from wire.values import PaymentStatus

# Each SetupIntent is a Stripe API call on our account (and a card-testing tool): per address.
CARD_SETUP_PER_ADDRESS = (
    Quota("card-setup-address", 20, 60),
    Quota("card-setup-address-1h", 200, 3600),
)


def present(payment: Payment) -> PaymentPublic:
    return PaymentPublic.model_validate(payment)


def _payments(request: Request) -> Payments:
    return cast(Payments, request.state.payments)


async def create(request: Request) -> Response:
    user = require_user(request)
    data = await parse_body(request, CreatePaymentRequest)
    payment = await _payments(request).pay(
        user_id=user.id, order_id=data.order_id, payment_method_id=data.payment_method_id
    )
    status = 201 if payment.status is PaymentStatus.SUCCEEDED else 200
    return respond(present(payment), status)


async def show(request: Request) -> Response:
    user = require_user(request)
    payment = await service.payment_for(order_id=request.path_params["order_id"], user_id=user.id)
    payment = await _payments(request).refresh(payment)
    return respond(present(payment))


async def card_setup(request: Request) -> Response:
    """Start card entry: the browser confirms this SetupIntent, then pays with its method."""
    user = require_user(request)
    runtime = runtime_of(request)
    settings = runtime.settings
    address = client_address(request)
    budget = await runtime.rate_limits.spend(
        [(quota, address) for quota in CARD_SETUP_PER_ADDRESS],
        "Too many card setups from this address; try again later",
    )
    secret = await _payments(request).gateway.create_card_setup(user_id=user.id)
    response = respond(
        CardSetupPublic(
            client_secret=secret,
            publishable_key=settings.stripe_publishable_key,
            stripe_js_url=settings.stripe_js_url,
        ),
        201,
    )
    return budget.apply(response)
