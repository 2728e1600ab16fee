"""An order as its buyer sees it in the REST API."""

from __future__ import annotations

from datetime import datetime

from pydantic import ConfigDict, computed_field

from wire.base import CamelModel, IdText
from wire.values import Event, OpenCancelReason, OpenOrderStatus, Priced


class OrderTicket(CamelModel):
    id: str
    title: str
    event: Event


class OrderPublic(CamelModel, Priced):
    model_config = ConfigDict(from_attributes=True)

    id: IdText
    status: OpenOrderStatus
    # ``price``: what the buyer pays, all-in; ``breakdown``: the list price and the fees.
    expires_at: datetime
    ticket: OrderTicket
    buyer_id: str
    seller_id: str
    cancel_reason: OpenCancelReason | None
    version: int
    created_at: datetime
    # Seats of a listing bought together: all of them (``ticket`` is the first), and the
    # listing; ``price`` is then what they cost together.
    ticket_ids: list[str] = []
    listing_id: str | None = None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def expires_at_ms(self) -> int:
        return int(self.expires_at.timestamp() * 1000)


class OrderList(CamelModel):
    items: list[OrderPublic]
