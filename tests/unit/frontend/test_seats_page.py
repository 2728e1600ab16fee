"""Seats sold together on the pages: an event page shows a listing's seats as one row
(free, held and sold counts, its rule in words, the quantities one may pick), kept current
seat by seat from the live topic; the checkout's order of several seats; and the sell
form's errors about one seat of a listing."""

from __future__ import annotations

from typing import Any

import pytest

from ticketing_ui.models import EventView, ListingRow, OrderView, TicketView
from ticketing_ui.seats import EN_DASH
from ticketing_ui.state.event import ListingFilter, cheapest_first, listing_rows, with_ticket
from ticketing_ui.state.sell import seat_fields
from wire.orders import OrderPublic
from wire.tickets import TicketPublic

pytestmark = pytest.mark.unit

EVENT_ID = "66a1b2c3d4e5f60718293a4c"
STARTS = "2031-07-04T19:30:00+00:00"
LISTING = "66a1b2c3d4e5f60718293b01"
EVENT = {"id": EVENT_ID, "name": "The Band", "kind": "concert", "venue": "Olympia Hall",
         "city": "Paris", "startsAt": STARTS}  # fmt: skip


def a_ticket(ticket_id: str, amount: int) -> TicketPublic:
    """A ticket sold on its own."""
    return TicketPublic.model_validate(
        {
            "id": ticket_id,
            "title": f"Ticket {ticket_id}",
            "event": EVENT,
            "section": "B",
            "price": {"amount": amount, "currency": "usd"},
            "sellerId": "s1",
            "ownerId": "s1",
            "version": 0,
        }
    )


def a_seat(
    seat: str, status: str = "available", split: str = "pairs", size: int = 4, version: int = 0
) -> TicketPublic:
    return TicketPublic.model_validate(
        {
            "id": f"66a1b2c3d4e5f60718293c{int(seat):02d}",
            "title": "Block C",
            "event": EVENT,
            "section": "C",
            "row": "4",
            "seat": seat,
            "price": {"amount": 3_000, "currency": "usd"},
            "sellerId": "s1",
            "ownerId": "s1",
            "status": status,
            "lockedUntil": "2031-07-01T10:15:00Z" if status == "locked" else None,
            "version": version,
            "listingId": LISTING,
            "split": split,
            "listingSize": size,
        }
    )  # fmt: skip


def rows_of(*tickets: TicketPublic) -> list[ListingRow]:
    return listing_rows(cheapest_first([TicketView.of(t) for t in tickets]))


def four(
    split: str = "pairs", held: tuple[str, ...] = (), sold: tuple[str, ...] = ()
) -> list[ListingRow]:
    def status(seat: str) -> str:
        return "locked" if seat in held else "sold" if seat in sold else "available"

    return rows_of(*(a_seat(s, status(s), split) for s in ("11", "12", "13", "14")))


def test_a_listing_s_seats_are_one_row() -> None:
    [row] = four()
    assert row.listing_id == row.id == LISTING
    assert row.place_label == f"Section C, row 4 · seats 11{EN_DASH}14"
    assert (row.free_label, row.price_label) == ("4 available", "$30.00 each")
    assert (row.free, row.held, row.sold, row.status) == (4, 0, 0, "available")
    assert row.split_label == "Buy any number that doesn't leave a single seat on its own."
    assert row.quantities == ["1", "2", "4"]
    assert row.quantity == "1"


def test_single_tickets_keep_their_rows_among_listings_in_price_order() -> None:
    rows = rows_of(a_ticket("cheap", 2_000), a_seat("12"), a_ticket("dear", 9_000), a_seat("11"))
    assert [row.id for row in rows] == ["cheap", LISTING, "dear"]
    cheap = rows[0]
    assert (cheap.listing_id, cheap.ticket_id, cheap.price_label) == ("", "cheap", "$20.00")
    assert cheap.place_label == "Section B"


@pytest.mark.parametrize(
    ("split", "held", "sold", "free", "status", "quantities"),
    [
        ("pairs", ("11", "12"), (), 2, "available", ["2"]),
        ("pairs", ("11",), (), 3, "available", ["1", "3"]),
        ("any", ("11", "12"), (), 2, "available", ["1", "2"]),
        ("all", ("11", "12"), (), 2, "available", []),  # never in part
        ("all", (), (), 4, "available", ["4"]),
        ("pairs", ("11", "12"), ("13", "14"), 0, "locked", []),
        ("pairs", (), ("11", "12", "13", "14"), 0, "sold", []),
    ],
)
def test_the_row_counts_free_seats_and_offers_what_its_rule_allows(
    split: str,
    held: tuple[str, ...],
    sold: tuple[str, ...],
    free: int,
    status: str,
    quantities: list[str],
) -> None:
    [row] = four(split, held, sold)
    assert (row.free, row.held, row.sold) == (free, len(held), len(sold))
    assert row.free_label == f"{free} available"
    assert row.status == status
    assert row.quantities == quantities


def test_the_picker_starts_afresh_when_its_choices_change() -> None:
    [before], [after] = four(), four(held=("11", "12"))
    assert before.picker_key != after.picker_key


def test_a_held_listing_counts_down_to_its_first_release() -> None:
    [row] = four(held=("11", "12", "13", "14"))
    assert row.locked_until_ms == 1_940_667_300_000


def test_seats_locked_and_sold_live_change_the_row() -> None:
    event = EventView()
    listings = cheapest_first([TicketView.of(a_seat(s)) for s in ("11", "12", "13", "14")])
    for seat in ("11", "12"):
        event, listings = with_ticket(
            event, listings, a_seat(seat, "locked", version=1), None, ListingFilter()
        )
    [row] = listing_rows(listings)
    assert (row.free, row.held, row.quantities) == (2, 2, ["2"])
    for seat in ("11", "12"):
        event, listings = with_ticket(
            event, listings, a_seat(seat, "sold", version=2), None, ListingFilter()
        )
    [row] = listing_rows(listings)
    assert (row.free, row.held, row.sold, row.status) == (2, 0, 2, "available")


def an_order(**extra: Any) -> OrderPublic:
    return OrderPublic.model_validate(
        {
            "id": "order-1",
            "status": "created",
            "price": {"amount": 6_000, "currency": "usd"},
            "expiresAt": "2031-07-01T10:15:00Z",
            "ticket": {"id": "t11", "title": "Block C",
                       "event": {"id": EVENT_ID, "name": "The Band", "kind": "concert",
                                 "venue": "Olympia Hall", "startsAt": STARTS}},
            "buyerId": "b1",
            "sellerId": "s1",
            "cancelReason": None,
            "version": 0,
            "createdAt": "2031-07-01T10:00:00Z",
        } | extra
    )  # fmt: skip


def test_an_order_of_seats_tells_its_seats_and_total() -> None:
    view = OrderView.of(an_order(ticketIds=["t11", "t12"], listingId=LISTING))
    assert (view.seat_count, view.ticket_ids, view.listing_id) == (2, ["t11", "t12"], LISTING)
    assert view.price_label == "$60.00"


def test_an_order_of_one_ticket_is_one_seat() -> None:
    view = OrderView.of(an_order())
    assert (view.seat_count, view.ticket_ids, view.listing_id) == (1, ["t11"], "")


def test_an_error_about_one_seat_shows_under_the_seats() -> None:
    shown = seat_fields({"seats.2": "Too long", "price.amount": "Too much"})
    assert shown == {"seats": "Too long", "price.amount": "Too much"}
