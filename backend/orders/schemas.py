"""Request bodies of the orders API (camelCase on the wire); what it answers is in
``wire.orders``."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from backend.common.schemas import RequestModel


class CreateOrderRequest(RequestModel):
    ticket_id: Annotated[str, Field(min_length=1, max_length=64)]
