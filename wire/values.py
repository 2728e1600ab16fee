"""The marketplace's values: money, statuses, and the event (the concert or game) a ticket
is for. Shared by the services, the facts they publish and every client."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import AwareDatetime, ConfigDict, Field

from wire.base import CamelModel


class EventKind(StrEnum):
    CONCERT = "concert"
    SPORT = "sport"
    THEATRE = "theatre"
    COMEDY = "comedy"
    FESTIVAL = "festival"
    OTHER = "other"


class EventStatus(StrEnum):
    """An event's status, set by an operator: a postponed event's tickets stay valid; a
    cancelled one's are void (cancelled is final)."""

    SCHEDULED = "scheduled"
    POSTPONED = "postponed"
    CANCELLED = "cancelled"


class SplitRule(StrEnum):
    """How the seats of a listing (sold together) may be split between buyers."""

    ANY = "any"  # any number of them
    PAIRS = "pairs"  # never leaving a single seat for sale
    ALL = "all"  # all of them at once, or none


class Role(StrEnum):
    """What a user may do beyond buying and selling; granted by an operator's command."""

    OPERATOR = "operator"  # postpones and cancels events


class TicketStatus(StrEnum):
    AVAILABLE = "available"
    LOCKED = "locked"
    SOLD = "sold"
    VOID = "void"  # its event was cancelled before it sold: never for sale again


# Listed: what the market and an event page show (for sale, or held by a buyer).
LISTED = (TicketStatus.AVAILABLE.value, TicketStatus.LOCKED.value)


class CancelReason(StrEnum):
    BUYER = "buyer"
    PAYMENT_FAILED = "payment_failed"
    EXPIRED = "expired"
    EVENT_CANCELLED = "event_cancelled"


class OrderStatus(StrEnum):
    CREATED = "created"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    COMPLETE = "complete"


class PaymentStatus(StrEnum):
    PROCESSING = "processing"
    REQUIRES_ACTION = "requires_action"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    REFUNDED = "refunded"


# What a client reads may be newer than the client: during a rolling deploy, or after a
# release that adds a kind or a status, an old web app or bot meets a value it does not
# know. It keeps it as text (shown as "Other" or as given) instead of failing to read the
# whole page. Servers write only the enum's members; requests are checked strictly.
type OpenKind = Annotated[EventKind | str, Field(union_mode="left_to_right")]
type OpenEventStatus = Annotated[EventStatus | str, Field(union_mode="left_to_right")]
type OpenOrderStatus = Annotated[OrderStatus | str, Field(union_mode="left_to_right")]
type OpenCancelReason = Annotated[CancelReason | str, Field(union_mode="left_to_right")]


class Money(CamelModel):
    model_config = ConfigDict(frozen=True)

    amount: int = Field(description="Integer minor units (cents)")
    currency: str = Field(min_length=3, max_length=3)


class Event(CamelModel):
    """The concert, game or show a ticket is for, as the ticket carries it: a copy of the
    catalogue's event (``wire.events.EventPublic``) named by ``id``, kept current by the
    tickets service when the event changes. ``id`` is None only for a ticket listed before
    the catalogue existed and not yet migrated (``python -m backend.tickets.migrate``)."""

    model_config = ConfigDict(frozen=True)

    name: str
    kind: OpenKind
    venue: str  # the venue's name
    starts_at: AwareDatetime
    id: str | None = None
    city: str = ""
    status: OpenEventStatus = EventStatus.SCHEDULED
    version: int = 0  # the event's version this copy was made from
