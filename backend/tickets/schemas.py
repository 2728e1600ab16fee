"""Request bodies and queries of the tickets API (camelCase on the wire); what it answers
is in ``wire.tickets``."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated
from zoneinfo import available_timezones

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    StrictInt,
    field_validator,
    model_validator,
)

from backend.common.schemas import (
    PLAIN_TEXT,
    WHOLE_NUMBER_TEXT,
    IsoDateTime,
    RequestModel,
)
from wire.events import Venue
from wire.values import EventKind, EventStatus, Money, SplitRule, TicketStatus

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


def _time_zone(value: str) -> str:
    if value not in _TIME_ZONES:
        raise ValueError("Must be an IANA time zone, e.g. Europe/Paris")
    return value


def _country(value: str) -> str:
    value = value.upper()
    if value and not (len(value) == 2 and value.isascii() and value.isalpha()):
        raise ValueError("Must be an ISO 3166-1 alpha-2 country code, e.g. FR")
    return value


_TIME_ZONES = frozenset(available_timezones())


def _venue_by_name(value: object) -> object:
    # The shape before the catalogue: the venue's name alone (its city then unknown).
    return {"name": value} if isinstance(value, str) else value


class VenueIn(RequestModel):
    name: Text
    city: Annotated[str, Field(max_length=120), PLAIN_TEXT] = ""
    country: Annotated[str, Field(max_length=2), AfterValidator(_country)] = ""
    time_zone: Annotated[str, Field(max_length=64), AfterValidator(_time_zone)] = "UTC"

    def venue(self) -> Venue:
        return Venue.model_validate(self.model_dump())


class EventIn(RequestModel):
    """An event to find or create: an existing one with the same normalised name, venue,
    city and start time is reused (``backend/tickets/catalogue.py``). ``venue`` may still
    be a bare name (the shape before the catalogue)."""

    name: Text
    performers: Annotated[list[Text], Field(max_length=10)] = []
    kind: EventKind
    venue: Annotated[VenueIn, BeforeValidator(_venue_by_name)]
    starts_at: Annotated[IsoDateTime, AfterValidator(_in_future)]
    doors_at: IsoDateTime | None = None
    ends_at: IsoDateTime | None = None

    @model_validator(mode="after")
    def _times_in_order(self) -> EventIn:
        if self.doors_at is not None and self.doors_at > self.starts_at:
            raise ValueError("The doors must open before the event starts")
        if self.ends_at is not None and self.ends_at <= self.starts_at:
            raise ValueError("The event must end after it starts")
        return self

    def venue_value(self) -> Venue:
        return self.venue.venue()


class CreateTicketRequest(RequestModel):
    """A ticket for an event of the catalogue (``eventId``) or for one given here
    (``event``: found or created); exactly one of the two."""

    title: Text
    event_id: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    event: EventIn | None = None
    section: Short | None = None
    row: Short | None = None
    seat: Short | None = None
    price: PriceIn

    @model_validator(mode="after")
    def _one_event(self) -> CreateTicketRequest:
        if (self.event_id is None) == (self.event is None):
            raise ValueError("Give either eventId (an existing event) or event (a new one)")
        return self


MAX_SEATS = 20  # seats in one listing


def _distinct(seats: list[str]) -> list[str]:
    if len({seat.casefold() for seat in seats}) != len(seats):
        raise ValueError("Each seat once")
    return seats


class CreateListingRequest(CreateTicketRequest):
    """Seats of one event listed together (one ticket each, at ``price`` each), sold by
    ``split``: ``any`` number, in ``pairs`` (never leaving one seat), or ``all`` at once."""

    seat: None = None  # the seats are ``seats``
    seats: Annotated[
        list[Short], Field(min_length=2, max_length=MAX_SEATS), AfterValidator(_distinct)
    ]
    split: SplitRule = SplitRule.ANY


class EventSort(StrEnum):
    DATE = "date"
    POPULARITY = "popularity"  # most tickets sold first
    PRICE = "price"  # lowest price for sale first


class EventQuery(RequestModel):
    q: Annotated[str, Field(max_length=100), PLAIN_TEXT] | None = None
    kind: EventKind | None = None
    city: Annotated[str, Field(max_length=120), PLAIN_TEXT] | None = None
    starts_after: IsoDateTime | None = None
    starts_before: IsoDateTime | None = None
    status: EventStatus | None = None
    sort: EventSort = EventSort.DATE
    page: Annotated[int, Field(ge=1, le=10_000), WHOLE_NUMBER_TEXT] = 1
    page_size: Annotated[int, Field(ge=1, le=100), WHOLE_NUMBER_TEXT] = 20


class ListingQuery(RequestModel):
    """``GET /api/events/{id}``: which of its listings (for sale or held), cheapest first."""

    section: Annotated[str, Field(max_length=20), PLAIN_TEXT] | None = None
    min_price: Annotated[int, Field(ge=0, le=MAX_PRICE_CENTS), WHOLE_NUMBER_TEXT] | None = None
    max_price: Annotated[int, Field(ge=0, le=MAX_PRICE_CENTS), WHOLE_NUMBER_TEXT] | None = None
    quantity: Annotated[int, Field(ge=1, le=MAX_SEATS), WHOLE_NUMBER_TEXT] = 1
    limit: Annotated[int, Field(ge=1, le=500), WHOLE_NUMBER_TEXT] = 200


class EventStatusRequest(RequestModel):
    """An operator postpones, reschedules or cancels an event (cancelled is final).
    ``startsAt``: the new date of a postponed or rescheduled event, when known."""

    status: EventStatus
    starts_at: Annotated[IsoDateTime, AfterValidator(_in_future)] | None = None


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


class FeeQuery(RequestModel):
    """``GET /api/tickets/fees``: a list price to price (what buyers pay, what I receive)."""

    amount: Annotated[int, Field(gt=0, le=MAX_PRICE_CENTS), WHOLE_NUMBER_TEXT]
    currency: Annotated[str, AfterValidator(_known_currency)] = "usd"

    def price(self) -> PriceIn:
        return PriceIn(amount=self.amount, currency=self.currency)


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


class CheckInRequest(RequestModel):
    code: Annotated[str, Field(min_length=1, max_length=2_000)]


class EmailRequest(RequestModel):
    """A user by e-mail: a transfer's recipient, an event's scanner."""

    email: Annotated[str, Field(min_length=3, max_length=254, pattern=r"^[^@\s]+@[^@\s]+$")]
