"""Request bodies of the payments API (camelCase on the wire); what it answers is in
``wire.payments``."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from backend.common.schemas import RequestModel


class CreatePaymentRequest(RequestModel):
    order_id: Annotated[str, Field(min_length=1, max_length=64)]
    payment_method_id: Annotated[str, Field(min_length=3, max_length=255, pattern=r"^pm_\w+$")]


class RefundQuery(RequestModel):
    event_id: Annotated[str, Field(min_length=1, max_length=64)]
