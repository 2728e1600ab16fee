"""The marketplace's values: money, statuses, and the event (the concert or game) a ticket
is for. Shared by the services, the facts they publish and every client."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, computed_field, model_validator

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

    def plus(self, other: Money) -> Money:
        return Money(amount=self.amount + other.amount, currency=self._same(other))

    def minus(self, other: Money) -> Money:
        return Money(amount=self.amount - other.amount, currency=self._same(other))

    def _same(self, other: Money) -> str:
        if other.currency != self.currency:
            raise ValueError(f"cannot add {other.currency} to {self.currency}")
        return self.currency


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


class PriceBreakdown(CamelModel):
    """What a price is made of: the seller's list price, the buyer fee on top (together:
    the all-in ``price`` a buyer pays and sees everywhere) and the seller fee taken from
    the list price (what is left: the seller's ``proceeds``). Fixed when the ticket is
    priced, so a later change of the fees never moves a price people already see."""

    model_config = ConfigDict(frozen=True)

    list_price: Money
    buyer_fee: Money
    seller_fee: Money

    @computed_field  # type: ignore[prop-decorator]
    @property
    def total(self) -> Money:
        """The all-in price: what the buyer pays."""
        return self.list_price.plus(self.buyer_fee)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def proceeds(self) -> Money:
        """What the seller receives."""
        return self.list_price.minus(self.seller_fee)

    @classmethod
    def without_fees(cls, price: Money) -> PriceBreakdown:
        """A ticket priced before fees existed: its price is all the seller's."""
        zero = Money(amount=0, currency=price.currency)
        return cls(list_price=price, buyer_fee=zero, seller_fee=zero)

    def plus(self, other: PriceBreakdown) -> PriceBreakdown:
        """Two breakdowns together (the seats of one order)."""
        return PriceBreakdown(
            list_price=self.list_price.plus(other.list_price),
            buyer_fee=self.buyer_fee.plus(other.buyer_fee),
            seller_fee=self.seller_fee.plus(other.seller_fee),
        )


class Priced(BaseModel):
    """An all-in ``price`` with its ``breakdown``: a ticket, an order, a charge. Stored or
    told before fees existed, it has no breakdown: its price was all the seller's."""

    price: Money  # all-in: what the buyer pays (``breakdown.total``)
    # Absent (None): made from ``price`` alone by the validator below.
    breakdown: PriceBreakdown = Field(default=None, validate_default=True)

    @model_validator(mode="before")
    @classmethod
    def _priced_before_fees(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("breakdown") is None and "price" in data:
            price = data["price"]
            money = price if isinstance(price, Money) else Money.model_validate(price)
            return {**data, "breakdown": PriceBreakdown.without_fees(money)}
        return data
