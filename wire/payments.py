"""Payments as the REST API shows them."""

from __future__ import annotations

from datetime import datetime

from pydantic import ConfigDict, Field

from wire.base import CamelModel
from wire.values import Money, PaymentStatus


class PaymentPublic(CamelModel):
    model_config = ConfigDict(from_attributes=True)

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
