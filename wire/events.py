"""Events as people browse them: the catalogue's event, its availability summary and its
listings (the REST API and the live ``event:<id>`` topic show the same shapes)."""

from __future__ import annotations

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from wire.base import CamelModel, IdText
from wire.tickets import TicketPublic
from wire.values import EventStatus, Money, OpenEventStatus, OpenKind


class Venue(CamelModel):
    model_config = ConfigDict(frozen=True)

    name: str
    city: str = ""
    country: str = ""  # ISO 3166-1 alpha-2, upper case ("" when not known)
    time_zone: str = "UTC"  # IANA name: where the event's local times are read


class EventFields(BaseModel):
    """What an event is, in one place: the catalogue's document stores these fields
    (snake_case), the views carry them camelCase."""

    name: str
    performers: list[str] = Field(default_factory=list)
    kind: OpenKind
    venue: Venue
    starts_at: AwareDatetime
    doors_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = None
    status: OpenEventStatus = EventStatus.SCHEDULED


class Availability(CamelModel):
    """Kept current from the event's tickets as they change (never counted per request):
    tickets for sale now (``available``), held by a buyer (``locked``), sold, and the
    lowest price of those for sale (None when none is)."""

    available: int = 0
    locked: int = 0
    sold: int = 0
    min_price: Money | None = None


class EventPublic(CamelModel, EventFields):
    model_config = ConfigDict(from_attributes=True)

    id: IdText
    version: int
    availability: Availability = Availability()


class EventPage(CamelModel):
    items: list[EventPublic]
    total: int
    page: int
    page_size: int


class EventDetail(EventPublic):
    """``GET /api/events/{id}``: the event and its listings, cheapest first."""

    listings: list[TicketPublic]
