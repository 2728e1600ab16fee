"""Request bodies and queries of the tickets API (camelCase on the wire); what it answers
is in ``wire.tickets``."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, Field, StrictInt, field_validator, model_validator

from backend.common.schemas import (
    PLAIN_TEXT,
    WHOLE_NUMBER_TEXT,
    IsoDateTime,
    RequestModel,
)
from wire.values import EventKind, Money, TicketStatus

MAX_PRICE_CENTS = 10_000_000  # 100,000.00 in any currency: anything above is a typo
CURRENCIES = frozenset({"usd", "eur", "gbp", "cad", "aud", "chf"})


def _known_currency(value: str) -> str:
    value = value.lower()
    if value not in CURRENCIES:
        raise ValueError(f"Currency must be one of {', '.join(sorted(CURRENCIES))}")
    return value


def _in_future(value: datetime) -> datetime:
    if value <= datetime.now(UTC):
        raise ValueError("The event must start in the future")
    return value


Text = Annotated[str, Field(min_length=1, max_length=120), PLAIN_TEXT]
Short = Annotated[str, Field(min_length=1, max_length=20), PLAIN_TEXT]


class PriceIn(RequestModel):
    amount: Annotated[StrictInt, Field(gt=0, le=MAX_PRICE_CENTS, description="cents")]
    currency: Annotated[str, AfterValidator(_known_currency)] = "usd"

    def money(self) -> Money:
        return Money(amount=self.amount, currency=self.currency)


class EventIn(RequestModel):
    name: Text
    kind: EventKind
    venue: Text
    starts_at: Annotated[IsoDateTime, AfterValidator(_in_future)]


class CreateTicketRequest(RequestModel):
    title: Text
    event: EventIn
    section: Short | None = None
    row: Short | None = None
    seat: Short | None = None
    price: PriceIn


class UpdateTicketRequest(RequestModel):
    """PATCH: any subset; PUT sends them all (same model, same rules)."""

    title: Text | None = None
    price: PriceIn | None = None
    section: Short | None = None
    row: Short | None = None
    seat: Short | None = None

    @field_validator("title", "price")
    @classmethod
    def _not_null(cls, value: object) -> object:
        # Omitted means "unchanged"; null would erase what every ticket must have.
        if value is None:
            raise ValueError("Cannot be null: leave it out to keep it")
        return value

    @model_validator(mode="after")
    def _something_to_change(self) -> UpdateTicketRequest:
        if not self.model_fields_set:
            raise ValueError("Nothing to change")
        return self


class RelistRequest(RequestModel):
    price: PriceIn


class SortOrder(StrEnum):
    NEWEST = "newest"
    PRICE = "price"
    PRICE_DESC = "-price"
    DATE = "date"


class TicketQuery(RequestModel):
    kind: EventKind | None = None
    q: Annotated[str, Field(max_length=100), PLAIN_TEXT] | None = None
    starts_after: IsoDateTime | None = None
    starts_before: IsoDateTime | None = None
    min_price: Annotated[int, Field(ge=0, le=MAX_PRICE_CENTS), WHOLE_NUMBER_TEXT] | None = None
    max_price: Annotated[int, Field(ge=0, le=MAX_PRICE_CENTS), WHOLE_NUMBER_TEXT] | None = None
    status: TicketStatus | None = None
    sort: SortOrder = SortOrder.DATE
    page: Annotated[int, Field(ge=1, le=10_000), WHOLE_NUMBER_TEXT] = 1
    page_size: Annotated[int, Field(ge=1, le=100), WHOLE_NUMBER_TEXT] = 20
