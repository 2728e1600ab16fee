"""HTTP routes of the payments service: parse, call a use case, respond."""

from __future__ import annotations

from typing import cast

from starlette.requests import Request
from starlette.responses import Response

from backend.common.auth import require_user
from backend.common.endpoint import respond
from backend.common.errors import parse_body
from backend.common.runtime import runtime_of
from backend.payments import service
from backend.payments.models import Payment
from backend.payments.schemas import CreatePaymentRequest
from backend.payments.service import Payments
from wire.payments import CardSetupPublic, PaymentPublic
from wire.values import PaymentStatus


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
    settings = runtime_of(request).settings
    secret = await _payments(request).gateway.create_card_setup(user_id=user.id)
    return respond(
        CardSetupPublic(
            client_secret=secret,
            publishable_key=settings.stripe_publishable_key,
            stripe_js_url=settings.stripe_js_url,
        ),
        201,
    )
