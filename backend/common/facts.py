"""Every fact the services tell each other: domain events, named ``Fact`` in code so that
"event" means one thing only — the concert or game people buy tickets for.

Facts are immutable pydantic models named in the past tense. Each carries a unique
``id``, ``occurredAt`` and the ``version`` of its aggregate after the change. ``STREAM``
names the Redis stream the publishing service (``PUBLISHER``) writes to; ``FACT_TYPES``
maps the wire name back to the class. Who publishes and who consumes each: docs/facts.md.
"""

from __future__ import annotations

import uuid
from typing import ClassVar

from pydantic import AwareDatetime, ConfigDict, Field

from backend.common.clock import utcnow
from backend.common.ticket_locks import SeatsHeld
from wire.base import CamelModel
from wire.events import EventFields
from wire.tickets import TicketFields
from wire.values import CancelReason, Event, Money, Priced


def _new_id() -> str:
    return uuid.uuid4().hex


class Fact(CamelModel):
    model_config = ConfigDict(frozen=True)

    STREAM: ClassVar[str]  # the Redis stream it travels on
    PUBLISHER: ClassVar[str]  # the one service that writes it (docs/facts.md)

    id: str = Field(default_factory=_new_id)
    occurred_at: AwareDatetime = Field(default_factory=utcnow)
    version: int = Field(ge=0)

    @classmethod
    def type_name(cls) -> str:
        return cls.__name__


class UserCreated(Fact):
    STREAM = "users"
    PUBLISHER = "auth"
    user_id: str
    email: str
    display_name: str
    roles: list[str] = Field(default_factory=list)  # ``wire.values.Role`` values


class UserUpdated(UserCreated):
    pass


class SessionsEnded(Fact):
    """Sessions of a user ended before their tokens expired: the one named ``token_id``
    (signed out), or, when it is empty, every session older than ``generation`` (the
    password changed). ``version`` is the user's session generation. The live gateway
    closes the sockets those sessions opened."""

    STREAM = "users"
    PUBLISHER = "auth"
    user_id: str
    token_id: str = ""
    generation: int = Field(ge=0)


class TicketCreated(Fact, TicketFields):
    """The ticket's whole state at ``version``."""

    STREAM = "tickets"
    PUBLISHER = "tickets"
    ticket_id: str


class TicketUpdated(TicketCreated):
    pass


class CodeIssued(Fact):
    """A ticket changed hands (a sale, a transfer): its owner has a new code, and every
    earlier code of it stops working. The code itself is never told: its owner reads it in
    ``GET /api/tickets/{id}/code``. ``version`` is the ticket's."""

    STREAM = "tickets"
    PUBLISHER = "tickets"
    ticket_id: str
    owner_id: str
    serial: int


class EventUpdated(Fact, EventFields):
    """An event of the catalogue changed (postponed, rescheduled, cancelled): its whole
    state at ``version``. Its tickets follow it (``backend/tickets/handlers.py``)."""

    STREAM = "tickets"
    PUBLISHER = "tickets"
    event_id: str


class OrderCreated(Fact, SeatsHeld, Priced):
    """``price`` is all-in, ``breakdown`` what it is made of; ``event`` is None only in an
    order told before payouts and refunds needed it."""

    STREAM = "orders"
    PUBLISHER = "orders"
    order_id: str
    ticket_id: str
    buyer_id: str
    seller_id: str
    expires_at: AwareDatetime
    event: Event | None = None
    title: str = ""  # the ticket's title


class OrderCancelled(Fact, SeatsHeld):
    STREAM = "orders"
    PUBLISHER = "orders"
    order_id: str
    ticket_id: str
    buyer_id: str
    reason: CancelReason


class OrderExpired(Fact):
    STREAM = "expiration"
    PUBLISHER = "expiration"
    order_id: str
    ticket_id: str


class ChargeCreated(Fact, SeatsHeld):
    STREAM = "payments"
    PUBLISHER = "payments"
    order_id: str
    ticket_id: str
    buyer_id: str
    payment_intent_id: str
    amount: Money


class PaymentRefunded(Fact, SeatsHeld):
    """A paid order was refunded in full, fees included (its event was cancelled)."""

    STREAM = "payments"
    PUBLISHER = "payments"
    order_id: str
    ticket_id: str
    buyer_id: str
    seller_id: str
    refund_id: str
    amount: Money
    paid_out: bool  # the seller had been paid: they now owe the proceeds back


class PayoutPaid(Fact):
    """A sale's proceeds were transferred to its seller's payout account."""

    STREAM = "payments"
    PUBLISHER = "payments"
    order_id: str
    seller_id: str
    transfer_id: str
    amount: Money


class ChargeFailed(Fact, SeatsHeld):
    """Not in the original list: the orders service owns the order, so it must learn of a
    declined card to cancel it (reason ``payment_failed``)."""

    STREAM = "payments"
    PUBLISHER = "payments"
    order_id: str
    ticket_id: str
    buyer_id: str
    message: str


FACT_TYPES: dict[str, type[Fact]] = {
    cls.type_name(): cls
    for cls in (
        UserCreated,
        UserUpdated,
        SessionsEnded,
        TicketCreated,
        TicketUpdated,
        EventUpdated,
        CodeIssued,
        OrderCreated,
        OrderCancelled,
        OrderExpired,
        ChargeCreated,
        ChargeFailed,
        PaymentRefunded,
        PayoutPaid,
    )
}
