"""A ticket as the REST API and the live API show it (the same shape in both)."""

from __future__ import annotations

from datetime import datetime

from pydantic import AwareDatetime, ConfigDict, computed_field, field_serializer

from wire.base import CamelModel, IdText, epoch_ms
from wire.values import Event, Priced, SplitRule, TicketStatus


class TicketFields(Priced):
    """What a ticket is, in one place: the tickets service's document, the facts it
    publishes and the views clients read all carry these fields (each in its own casing:
    the document stores snake_case, facts and views travel camelCase). Its ``price`` is
    all-in, its ``breakdown`` the seller's list price and the fees (``Priced``)."""

    title: str
    event: Event
    section: str | None = None
    row: str | None = None
    seat: str | None = None
    seller_id: str
    owner_id: str
    status: TicketStatus = TicketStatus.AVAILABLE
    locked_until: AwareDatetime | None = None
    order_id: str | None = None  # the order locking it, or the order that bought it
    # A seat of a listing sold together (``POST /api/listings``), and the listing's rule.
    listing_id: str | None = None
    split: SplitRule | None = None
    listing_size: int | None = None  # how many seats the listing has


class TicketPublic(CamelModel, TicketFields):
    """A ticket as anyone may see it: who sells it, not who bought it.

    Its JSON never tells who bought a ticket or which order locks or bought it: ``ownerId``
    is the seller's id while the ticket is the seller's listing and ``""`` once someone
    else owns it (a sale), and ``orderId`` is always ``null``. The buyer and the seller
    learn the order on the live ``me`` topic and in ``GET /api/orders``; they see the
    ticket in full (``TicketOwned``) in ``GET /api/tickets/mine`` and ``/api/tickets/{id}``.
    """

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

    @field_serializer("owner_id")
    def _public_owner(self, owner_id: str) -> str:
        return owner_id if owner_id == self.seller_id else ""

    @field_serializer("order_id")
    def _public_order(self, order_id: str | None) -> None:
        return None


class TicketOwned(TicketPublic):
    """A ticket as its seller or its owner sees it: ``ownerId`` and ``orderId`` told."""

    @field_serializer("owner_id")
    def _public_owner(self, owner_id: str) -> str:
        return owner_id

    @field_serializer("order_id")
    def _public_order(self, order_id: str | None) -> str | None:  # type: ignore[override]
        return order_id


class TicketPage(CamelModel):
    items: list[TicketPublic]
    total: int
    page: int
    page_size: int


class TicketList(CamelModel):
    """``GET /api/tickets/mine``: what I sell and what I bought, in full."""

    items: list[TicketOwned]


class ListingPublic(CamelModel):
    """``POST /api/listings``: seats of one event listed together, one ticket each."""

    id: str
    split: SplitRule
    tickets: list[TicketPublic]
