"""Request and response bodies of the orders API (camelCase on the wire)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field

from backend.common.events import CancelReason, EventInfo, Money, OrderStatus
from backend.common.schemas import CamelModel, RequestModel


class CreateOrderRequest(RequestModel):
    ticket_id: Annotated[str, Field(min_length=1, max_length=64)]


class OrderTicket(CamelModel):
    id: str
    title: str
    event: EventInfo


class OrderPublic(CamelModel):
    id: str
    status: OrderStatus
    price: Money
    expires_at: datetime
    expires_at_ms: int
    ticket: OrderTicket
    buyer_id: str
    seller_id: str
    cancel_reason: CancelReason | None
    version: int
    created_at: datetime


class OrderList(CamelModel):
    items: list[OrderPublic]
