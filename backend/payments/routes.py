"""HTTP routes of the payments service: parse, call a use case, respond."""

from __future__ import annotations

from typing import cast

from starlette.requests import Request
from starlette.responses import Response

from backend.common.auth import require_user
from backend.common.clock import utcnow
from backend.common.endpoint import respond
from backend.common.errors import Forbidden, parse_body, parse_query
from backend.common.rate_limits import Quota, client_address
from backend.common.runtime import runtime_of
from backend.common.user_replica import has_role
from backend.payments import refunds, sales, service
from backend.payments.connect import ConnectGateway
from backend.payments.models import Payment
from backend.payments.schemas import CreatePaymentRequest, RefundQuery
from backend.payments.service import Payments
from wire.payments import CardSetupPublic, PaymentPublic
from wire.values import PaymentStatus, Role

# Each account link is a Stripe call too (and links expire in minutes: a few suffice).
ONBOARDING_PER_USER = Quota("payout-onboarding-user", 20, 3600)

# Each SetupIntent is a Stripe API call on our account (and a card-testing tool): per address.
CARD_SETUP_PER_ADDRESS = (
    Quota("card-setup-address", 20, 60),
    Quota("card-setup-address-1h", 200, 3600),
)


def present(payment: Payment) -> PaymentPublic:
    return PaymentPublic.model_validate(payment)


def _payments(request: Request) -> Payments:
    return cast(Payments, request.state.payments)


def _connect(request: Request) -> ConnectGateway:
    return cast(ConnectGateway, request.state.connect)


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


async def my_sales(request: Request) -> Response:
    user = require_user(request)
    return respond(await sales.sales_of(user.id, utcnow()))


async def payout_account(request: Request) -> Response:
    """The seller's payout account, refreshed from Stripe (after onboarding returns)."""
    user = require_user(request)
    return respond(sales.present_account(await sales.refresh_account(user.id, _connect(request))))


async def start_onboarding(request: Request) -> Response:
    """Make (once) the seller's Connect account and a link to Stripe's onboarding."""
    user = require_user(request)
    runtime = runtime_of(request)
    budget = await runtime.rate_limits.spend(
        [(ONBOARDING_PER_USER, user.id)], "Too many onboarding links; try again later"
    )
    link = await sales.onboarding(user.id, _connect(request), runtime.settings.public_url)
    return budget.apply(respond(link, 201))


async def refund_progress(request: Request) -> Response:
    """How far a cancelled event's refunds have come (operators)."""
    user = require_user(request)
    if not await has_role(user.id, Role.OPERATOR):
        raise Forbidden("Only an operator can follow refunds")
    query = parse_query(request, RefundQuery)
    return respond(await refunds.progress(query.event_id))
