"""The live API's server frames (``GET /api/live``), one model per ``type``.

The gateway builds each frame from these models; clients (the web app, the example bot)
read any frame with ``parse_frame``. The protocol: docs/live-api.md.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Field, TypeAdapter, computed_field

from wire.base import CamelModel, epoch_ms
from wire.events import Availability
from wire.tickets import TicketPublic
from wire.values import Money, OpenCancelReason, OpenOrderStatus


class LiveOrder(CamelModel):
    """An order as the live API tells its buyer and its seller (no ticket details)."""

    id: str
    ticket_id: str
    buyer_id: str
    seller_id: str | None = None
    status: OpenOrderStatus
    price: Money | None = None
    expires_at: datetime | None = None
    cancel_reason: OpenCancelReason | None = None
    amount: Money | None = None  # what was charged, once complete
    refunded: Money | None = None  # what was given back (its event was cancelled)
    paid_out: Money | None = None  # told to its seller only: the proceeds transferred

    @computed_field  # type: ignore[prop-decorator]
    @property
    def expires_at_ms(self) -> int | None:
        return epoch_ms(self.expires_at)


class Frame(CamelModel):
    """Every server frame: ``type``, and ``cursor`` on what the marketplace published."""

    def body(self) -> dict[str, Any]:
        """The JSON object sent (``None`` fields of optional extras left out)."""
        return self.model_dump(mode="json", exclude_none=True, exclude={"cursor"}) | (
            {} if self.cursor is None else {"cursor": self.cursor}
        )

    cursor: int | None = None


class TicketMessage(Frame):
    type: Literal["ticket.listed", "ticket.unlocked", "ticket.sold", "ticket.updated"]
    ticket_id: str
    ticket: TicketPublic
    # The ticket's event's availability after this change (a ticket of the catalogue).
    availability: Availability | None = None

    def body(self) -> dict[str, Any]:
        # The ticket keeps its null fields (a ticket has the same shape everywhere).
        return super().body() | {"ticket": self.ticket.model_dump(mode="json")}


class TicketLocked(TicketMessage):
    type: Literal["ticket.locked"]  # type: ignore[assignment]
    locked_until: datetime
    price: Money  # the price locked

    @computed_field  # type: ignore[prop-decorator]
    @property
    def locked_until_ms(self) -> int:
        return int(self.locked_until.timestamp() * 1000)


class TicketPriceChanged(TicketMessage):
    type: Literal["ticket.price_changed"]  # type: ignore[assignment]
    price: Money
    previous_price: Money


type OrderKind = Literal[
    "order.created",
    "order.cancelled",
    "order.expired",
    "order.completed",
    "order.refunded",  # to its buyer and seller: refunded in full, the ticket void
    "order.paid_out",  # to its seller: the proceeds transferred to their payout account
]


class OrderMessage(Frame):
    type: OrderKind
    order_id: str
    ticket_id: str
    order: LiveOrder


class CodeIssued(Frame):
    """(``me``, the owner only) the ticket has a new door code: the one before no longer
    works. The code itself is never sent here: read it from ``GET /api/tickets/{id}/code``."""

    type: Literal["ticket.code_issued"] = "ticket.code_issued"
    ticket_id: str
    serial: int


class Snapshot(Frame):
    """On subscribe: the topic's state at ``cursor`` (what follows is newer)."""

    type: Literal["snapshot"] = "snapshot"
    topic: str
    tickets: list[TicketPublic] | None = None  # "tickets"; "event:<id>": its, by price
    ticket: TicketPublic | None = None  # topic "ticket:<id>" (absent: no such ticket)
    orders: list[LiveOrder] | None = None  # topic "me"
    availability: Availability | None = None  # topic "event:<id>"

    def body(self) -> dict[str, Any]:
        body = super().body()
        if self.topic.startswith("ticket:"):
            body["ticket"] = self.ticket.model_dump(mode="json") if self.ticket else None
        if self.tickets is not None:
            body["tickets"] = [ticket.model_dump(mode="json") for ticket in self.tickets]
        return body


class Subscribed(Frame):
    type: Literal["subscribed", "unsubscribed"]
    topics: list[str]


class Resync(Frame):
    type: Literal["resync"] = "resync"
    topics: list[str]
    reason: str


class Authenticated(Frame):
    type: Literal["authenticated"] = "authenticated"
    user_id: str


class Heartbeat(Frame):
    type: Literal["ping", "pong"]


class ErrorFrame(Frame):
    type: Literal["error"] = "error"
    message: str


type AnyFrame = Annotated[
    TicketLocked
    | TicketPriceChanged
    | TicketMessage
    | OrderMessage
    | CodeIssued
    | Snapshot
    | Subscribed
    | Resync
    | Authenticated
    | Heartbeat
    | ErrorFrame,
    Field(discriminator="type"),
]

_FRAME: TypeAdapter[AnyFrame] = TypeAdapter(AnyFrame)


def parse_frame(data: str | bytes | dict[str, Any]) -> AnyFrame:
    """Any server frame, as its model (raises ``pydantic.ValidationError`` otherwise)."""
    if isinstance(data, dict):
        return _FRAME.validate_python(data)
    return _FRAME.validate_json(data)
