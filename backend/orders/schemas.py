"""Request bodies of the orders API (camelCase on the wire); what it answers is in
``wire.orders``."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StrictInt, field_validator, model_validator

from backend.common.errors import ErrorItem, InvalidInput
from backend.common.schemas import RequestModel

MAX_SEATS_PER_ORDER = 20


class CreateOrderRequest(RequestModel):
    """A ticket (``ticketId``), or ``quantity`` seats of a listing sold together
    (``listingId``); exactly one of the two."""

    ticket_id: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    listing_id: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    quantity: Annotated[StrictInt, Field(ge=1, le=MAX_SEATS_PER_ORDER)] = 1

    @field_validator("ticket_id", "listing_id", mode="before")
    @classmethod
    def _not_null(cls, value: object) -> object:
        if value is None:  # given as null: leave it out instead
            raise ValueError("Must be an id")
        return value

    @model_validator(mode="after")
    def _one_of(self) -> CreateOrderRequest:
        if self.ticket_id is not None and self.listing_id is not None:
            raise ValueError("Give either ticketId or listingId (with quantity), not both")
        if self.ticket_id is not None and "quantity" in self.model_fields_set:
            raise ValueError("quantity is for the seats of a listing (listingId)")
        return self

    def check_target(self) -> None:
        """Neither given: ``ticketId`` is the one required (400, as before seats)."""
        if self.ticket_id is None and self.listing_id is None:
            raise InvalidInput([ErrorItem(message="Field required", field="ticketId")])
