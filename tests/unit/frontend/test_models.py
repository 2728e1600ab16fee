"""API bodies (read as the ``wire`` models) as the pages show them: tickets, orders, money
and statuses."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from ticketing_ui.models import ORDER_STATUS, OrderView, TicketView, money, when
from wire.live import LiveOrder
from wire.orders import OrderPublic
from wire.tickets import TicketPublic
from wire.values import EventKind, Money, OrderStatus

pytestmark = pytest.mark.unit

STARTS = "2031-07-04T19:30:00Z"


def ticket(**changes: Any) -> TicketPublic:
    return TicketPublic.model_validate(ticket_body(**changes))


def order(**changes: Any) -> OrderPublic:
    return OrderPublic.model_validate(order_body(**changes))


def ticket_body(**changes: Any) -> dict[str, Any]:
    """A ticket as ``GET /api/tickets/{id}`` answers it."""
    body: dict[str, Any] = {
        "id": "66a1b2c3d4e5f60718293a4b",
        "title": "Front row",
        "event": {"name": "The Band", "kind": "concert", "venue": "Arena", "startsAt": STARTS},
        "section": "A",
        "row": "4",
        "seat": "11",
        "price": {"amount": 125_050, "currency": "usd"},
        "sellerId": "seller-1",
        "sellerName": "Sam",
        "ownerId": "seller-1",
        "status": "locked",
        "lockedUntil": "2031-07-01T10:15:00Z",
        "lockedUntilMs": 1_940_667_300_000,
        "orderId": "order-1",
        "version": 3,
        "createdAt": "2031-06-01T10:00:00Z",
    }
    body.update(changes)
    return body


def order_body(**changes: Any) -> dict[str, Any]:
    """An order as ``GET /api/orders/{id}`` answers it."""
    body: dict[str, Any] = {
        "id": "order-1",
        "status": "created",
        "price": {"amount": 7_500, "currency": "eur"},
        "expiresAt": "2031-07-01T10:15:00Z",
        "expiresAtMs": 1_940_667_300_000,
        "ticket": {
            "id": "ticket-1",
            "title": "Front row",
            "event": {"name": "The Band", "kind": "concert", "venue": "Arena", "startsAt": STARTS},
        },
        "buyerId": "buyer-1",
        "sellerId": "seller-1",
        "cancelReason": None,
        "version": 1,
        "createdAt": "2031-07-01T10:00:00Z",
    }
    body.update(changes)
    return body


def fields_of(view: object, expected: dict[str, object]) -> dict[str, object]:
    """The fields of ``view`` named in ``expected`` (views may gain fields)."""
    return {name: getattr(view, name) for name in expected}


def test_ticket_view_of_a_full_body() -> None:
    view = TicketView.of(ticket())
    expected: dict[str, object] = dict(
        id="66a1b2c3d4e5f60718293a4b",
        title="Front row",
        event_name="The Band",
        kind="concert",
        kind_label="Concert",
        venue="Arena",
        starts_at="2031-07-04T19:30:00+00:00",
        starts_label="Fri 04 Jul 2031, 19:30",
        seat_label="Section A · Row 4 · Seat 11",
        amount=125_050,
        currency="usd",
        price_label="$1,250.50",
        status="locked",
        locked_until_ms=1_940_667_300_000,
        seller_id="seller-1",
        seller_name="Sam",
        owner_id="seller-1",
        version=3,
    )
    assert fields_of(view, expected) == expected


def test_ticket_view_of_a_body_without_optionals() -> None:
    body = ticket_body(
        section=None, row=None, seat=None, sellerName=None, lockedUntil=None, lockedUntilMs=None
    )
    del body["orderId"]
    view = TicketView.of(TicketPublic.model_validate(body))
    assert view.seat_label == "General admission"
    assert view.seller_name == "A fan"
    assert view.locked_until_ms == 0


def test_ticket_view_shows_only_the_seat_parts_given() -> None:
    assert TicketView.of(ticket(section=None, row="4", seat="")).seat_label == "Row 4"


@pytest.mark.parametrize("kind", list(EventKind))
def test_ticket_view_labels_every_kind(kind: EventKind) -> None:
    body = ticket_body(event={"name": "Quiz", "kind": kind, "venue": "Pub", "startsAt": STARTS})
    assert TicketView.of(TicketPublic.model_validate(body)).kind_label == kind.value.title()


def test_ticket_view_labels_an_unknown_kind_as_other() -> None:
    # A kind added by a later release reaches this app during a rolling deploy.
    body = ticket_body(event={"name": "Quiz", "kind": "quiz", "venue": "Pub", "startsAt": STARTS})
    view = TicketView.of(TicketPublic.model_validate(body))
    assert (view.kind, view.kind_label) == ("quiz", "Other")


@pytest.mark.parametrize(
    ("currency", "label"),
    [
        ("usd", "$1,234.56"),
        ("eur", "€1,234.56"),
        ("gbp", "£1,234.56"),
        ("cad", "CA$1,234.56"),
        ("aud", "A$1,234.56"),
        ("chf", "CHF 1,234.56"),
        ("sek", "SEK 1,234.56"),  # not one the API takes: still readable
    ],
)
def test_money_formats_each_currency(currency: str, label: str) -> None:
    assert money(Money(amount=123_456, currency=currency)) == label


def test_money_shows_whole_cents() -> None:
    assert money(Money(amount=5, currency="usd")) == "$0.05"
    assert money(Money(amount=7_500, currency="usd")) == "$75.00"


def test_when_shows_the_moment_as_given() -> None:
    assert when(datetime(2031, 7, 4, 19, 30, tzinfo=UTC)) == "Fri 04 Jul 2031, 19:30"


def test_order_view_of_a_full_body() -> None:
    view = OrderView.of(order())
    expected: dict[str, object] = dict(
        id="order-1",
        ticket_id="ticket-1",
        title="Front row",
        event_name="The Band",
        starts_label="Fri 04 Jul 2031, 19:30",
        price_label="€75.00",
        status="created",
        status_label="Awaiting payment",
        cancel_reason="",
        expires_at_ms=1_940_667_300_000,
        buyer_id="buyer-1",
        seller_id="seller-1",
        version=1,
    )
    assert fields_of(view, expected) == expected


def test_an_order_body_without_ticket_details_is_refused_when_read() -> None:
    with pytest.raises(ValidationError):
        OrderPublic.model_validate({"id": "order-1", "price": {"amount": 100, "currency": "gbp"}})


@pytest.mark.parametrize(
    ("status", "reason", "label"),
    [
        ("created", None, "Awaiting payment"),
        ("complete", None, "Paid"),
        ("cancelled", "buyer", "Cancelled"),
        ("cancelled", "payment_failed", "Card declined"),
        ("expired", None, "Expired"),
        ("refunded", None, "refunded"),  # a status this app does not know yet
    ],
)
def test_order_status_labels(status: str, reason: str | None, label: str) -> None:
    view = OrderView.of(order(status=status, cancelReason=reason))
    assert view.status_label == label
    assert view.cancel_reason == (reason or "")


def test_every_order_status_has_a_label() -> None:
    assert set(ORDER_STATUS) == {status.value for status in OrderStatus}


def live_order(status: str, reason: str | None = None) -> LiveOrder:
    return LiveOrder.model_validate(
        {"id": "o1", "ticketId": "t1", "buyerId": "b1", "status": status, "cancelReason": reason}
    )


def test_a_live_order_message_moves_the_status_on_and_keeps_the_ticket_details() -> None:
    view = OrderView(id="o1", title="Front row", event_name="The Band", status="created")

    expired = view.merged(live_order("expired", "expired"))
    declined = view.merged(live_order("cancelled", "payment_failed"))

    assert (expired.title, expired.event_name) == ("Front row", "The Band")
    assert (expired.status, expired.status_label) == ("expired", "Expired")
    assert declined.status_label == "Card declined"


def test_a_late_created_message_never_reopens_a_final_order() -> None:
    paid = OrderView(id="o1", status="complete", status_label="Paid")

    assert paid.merged(live_order("created")) == paid


def test_the_statuses_and_kinds_read_are_the_contract_s_members_when_known() -> None:
    read = OrderView.of(order(status="cancelled", cancelReason="buyer"))
    assert (read.status, read.cancel_reason) == ("cancelled", "buyer")
    assert order(status="cancelled").status is OrderStatus.CANCELLED
    assert ticket().event.kind is EventKind.CONCERT
