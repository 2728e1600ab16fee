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
    OTHER = "other"


class TicketStatus(StrEnum):
    AVAILABLE = "available"
    LOCKED = "locked"
    SOLD = "sold"


class CancelReason(StrEnum):
    BUYER = "buyer"
    PAYMENT_FAILED = "payment_failed"
    EXPIRED = "expired"


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
type OpenOrderStatus = Annotated[OrderStatus | str, Field(union_mode="left_to_right")]
type OpenCancelReason = Annotated[CancelReason | str, Field(union_mode="left_to_right")]


class Money(CamelModel):
    model_config = ConfigDict(frozen=True)

    amount: int = Field(description="Integer minor units (cents)")
    currency: str = Field(min_length=3, max_length=3)


class Event(CamelModel):
    """The concert, game or show a ticket is for, as the ticket carries it."""

    model_config = ConfigDict(frozen=True)

    name: str
    kind: OpenKind
    venue: str
    starts_at: AwareDatetime
