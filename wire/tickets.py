"""A ticket as the REST API and the live API show it (the same shape in both)."""

from __future__ import annotations

from datetime import datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict, computed_field

from wire.base import CamelModel, IdText, epoch_ms
from wire.values import Event, Money, TicketStatus


class TicketFields(BaseModel):
    """What a ticket is, in one place: the tickets service's document, the facts it
    publishes and the views clients read all carry these fields (each in its own casing:
    the document stores snake_case, facts and views travel camelCase)."""

    title: str
    event: Event
    section: str | None = None
    row: str | None = None
    seat: str | None = None
    price: Money
    seller_id: str
    owner_id: str
    status: TicketStatus = TicketStatus.AVAILABLE
    locked_until: AwareDatetime | None = None
    order_id: str | None = None  # the order locking it, or the order that bought it


class TicketPublic(CamelModel, TicketFields):
    # Built from the stored ticket (``from_attributes``) or from a ticket fact.
    model_config = ConfigDict(from_attributes=True)

    id: IdText
    seller_name: str | None = None
    version: int
    # Absent only in a live message about a ticket the gateway never saw listed.
    created_at: datetime | None = None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def locked_until_ms(self) -> int | None:
        return epoch_ms(self.locked_until)


class TicketPage(CamelModel):
    items: list[TicketPublic]
    total: int
    page: int
    page_size: int


class TicketList(CamelModel):
    items: list[TicketPublic]
