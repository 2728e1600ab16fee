"""Request and response bodies of the payments API (camelCase on the wire)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field

from backend.common.events import Money
from backend.common.schemas import CamelModel, RequestModel
from backend.payments.models import PaymentStatus


class CreatePaymentRequest(RequestModel):
    order_id: Annotated[str, Field(min_length=1, max_length=64)]
    payment_method_id: Annotated[str, Field(min_length=3, max_length=255, pattern=r"^pm_\w+$")]


class PaymentPublic(CamelModel):
    order_id: str
    status: PaymentStatus
    amount: Money
    payment_intent_id: str | None
    client_secret: str | None = Field(
        description="Only while 3-D Secure is needed: finish with Stripe.js, then POST again"
    )
    failure_message: str | None
    created_at: datetime
    updated_at: datetime


class CardSetupPublic(CamelModel):
    client_secret: str = Field(description="Confirm it in the browser with Stripe.js (card)")
    publishable_key: str
    stripe_js_url: str = Field(description="Where the browser loads Stripe.js from")
