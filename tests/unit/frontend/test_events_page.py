"""The event page: which listings it asks for, and how the ``tickets`` topic's messages
about the event's tickets change its listings and its "N tickets from $X"."""

from __future__ import annotations

from typing import Any

import pytest

from ticketing_ui.models import EventView, TicketView
from ticketing_ui.state.event import (
    LISTING_LIMIT,
    ListingFilter,
    cheapest_first,
    recounted,
    status_before,
    with_lowest_price,
    with_ticket,
)
from wire.events import EventPublic
from wire.tickets import TicketPublic

pytestmark = pytest.mark.unit

EVENT_ID = "66a1b2c3d4e5f60718293a4c"
STARTS = "2031-07-04T19:30:00+00:00"
EVERYTHING = ListingFilter()


def an_event(
    available: int = 2, locked: int = 0, sold: int = 0, low: int | None = 8_000
) -> EventView:
    return EventView.of(
        EventPublic.model_validate(
            {
                "id": EVENT_ID,
                "name": "The Band",
                "kind": "concert",
                "venue": {"name": "Olympia Hall", "city": "Paris"},
                "startsAt": STARTS,
                "version": 1,
                "availability": {
                    "available": available,
                    "locked": locked,
                    "sold": sold,
                    "minPrice": None if low is None else {"amount": low, "currency": "usd"},
                },
            }
        )
    )


def a_ticket(
    ticket_id: str,
    amount: int,
    status: str = "available",
    version: int = 0,
    event: dict[str, Any] | None = None,
) -> TicketPublic:
    copy = {"id": EVENT_ID, "name": "The Band", "kind": "concert", "venue": "Olympia Hall",
            "city": "Paris", "startsAt": STARTS} | (event or {})  # fmt: skip
    return TicketPublic.model_validate(
        {
            "id": ticket_id,
            "title": f"Ticket {ticket_id}",
            "event": copy,
            "section": "B",
            "price": {"amount": amount, "currency": "usd"},
            "sellerId": "s1",
            "ownerId": "s1",
            "status": status,
            "lockedUntil": "2031-07-01T10:15:00Z" if status == "locked" else None,
            "version": version,
        }
    )


def shown(*tickets: TicketPublic) -> list[TicketView]:
    return cheapest_first([TicketView.of(t) for t in tickets])


def ids(listings: list[TicketView]) -> list[str]:
    return [t.id for t in listings]


# --- which listings ---------------------------------------------------------------------


def test_no_filter_asks_for_every_listing_up_to_the_limit() -> None:
    assert ListingFilter.typed() == EVERYTHING
    assert not EVERYTHING.active
    assert EVERYTHING.query_params() == {"limit": LISTING_LIMIT}


def test_the_typed_filter_is_asked_in_cents() -> None:
    typed = ListingFilter.typed(section=" B ", min_price="50", max_price="99.50")
    assert typed.active
    assert typed.query_params() == {
        "limit": LISTING_LIMIT,
        "section": "B",
        "minPrice": 5_000,
        "maxPrice": 9_950,
    }


def test_prices_that_are_not_prices_filter_nothing() -> None:
    assert ListingFilter.typed(min_price="abc", max_price="-3") == EVERYTHING


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ({}, True),
        ({"section": "b"}, True),  # any case, as the API matches it
        ({"section": "A"}, False),
        ({"min_price": "80"}, True),  # bounds are inclusive
        ({"max_price": "80"}, True),
        ({"min_price": "80.01"}, False),
        ({"max_price": "79.99"}, False),
    ],
)
def test_a_ticket_seen_live_is_held_to_the_page_s_filter(
    typed: dict[str, str], expected: bool
) -> None:
    ticket = TicketView.of(a_ticket("t1", 8_000))
    assert ListingFilter.typed(**typed).matches(ticket) is expected


def test_listings_are_cheapest_first() -> None:
    listings = shown(a_ticket("t1", 9_000), a_ticket("t2", 7_000), a_ticket("t3", 8_000))
    assert ids(listings) == ["t2", "t3", "t1"]


# --- counts -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("message", "status", "before"),
    [
        ("ticket.listed", "available", None),
        ("ticket.locked", "locked", "available"),
        ("ticket.unlocked", "available", "locked"),
        ("ticket.sold", "sold", "locked"),
        ("ticket.price_changed", "available", "available"),
        ("ticket.updated", "available", "available"),
        ("ticket.updated", "void", "available"),  # its event was cancelled
    ],
)
def test_a_message_tells_the_status_before_it(message: str, status: str, before: str) -> None:
    assert status_before(message, status) == before


@pytest.mark.parametrize(
    ("before", "after", "counts"),
    [
        (None, "available", (3, 1, 0)),
        ("available", "locked", (1, 2, 0)),
        ("locked", "available", (3, 0, 0)),
        ("locked", "sold", (2, 0, 1)),
        ("available", "void", (1, 1, 0)),
        ("available", "available", (2, 1, 0)),
    ],
)
def test_recounted_moves_one_ticket_between_counts(
    before: str | None, after: str, counts: tuple[int, int, int]
) -> None:
    event = recounted(an_event(available=2, locked=1), before, TicketView(status=after))
    assert (event.available, event.locked, event.sold) == counts


def test_recounted_never_counts_below_zero() -> None:
    event = recounted(an_event(available=0), "available", TicketView(status="locked"))
    assert (event.available, event.locked) == (0, 1)


def test_the_lowest_price_of_every_listing_is_the_cheapest_available_one() -> None:
    listings = shown(a_ticket("t1", 6_000, "locked"), a_ticket("t2", 9_000))
    event = with_lowest_price(an_event(available=1, low=6_000), listings, every=True)
    assert event.availability_label == "1 ticket from $90.00"


def test_a_filtered_page_only_lowers_the_lowest_price() -> None:
    listings = shown(a_ticket("t2", 9_000))
    kept = with_lowest_price(an_event(low=6_000), listings, every=False)
    lowered = with_lowest_price(an_event(low=9_500), listings, every=False)
    assert kept.availability_label == "2 tickets from $60.00"
    assert lowered.availability_label == "2 tickets from $90.00"


# --- live messages ----------------------------------------------------------------------


def test_a_new_listing_appears_in_price_order_and_is_counted() -> None:
    listings = shown(a_ticket("t1", 7_000), a_ticket("t2", 9_000))
    event, after = with_ticket(
        an_event(low=7_000), listings, a_ticket("t3", 6_500), None, EVERYTHING, every=True
    )
    assert ids(after) == ["t3", "t1", "t2"]
    assert event.availability_label == "3 tickets from $65.00"


def test_a_lock_shows_on_its_listing_and_moves_the_count() -> None:
    listings = shown(a_ticket("t1", 7_000), a_ticket("t2", 9_000))
    locked = a_ticket("t1", 7_000, "locked", version=1)
    event, after = with_ticket(an_event(low=7_000), listings, locked, None, EVERYTHING, every=True)
    assert [(t.id, t.status) for t in after] == [("t1", "locked"), ("t2", "available")]
    assert after[0].locked_until_ms > 0  # the countdown's deadline
    assert (event.available, event.locked) == (1, 1)
    assert event.availability_label == "1 ticket from $90.00"


def test_a_price_change_moves_the_listing_to_its_place() -> None:
    listings = shown(a_ticket("t1", 7_000), a_ticket("t2", 9_000))
    dearer = a_ticket("t1", 9_500, version=1)
    event, after = with_ticket(
        an_event(low=7_000), listings, dearer, "available", EVERYTHING, every=True
    )
    assert ids(after) == ["t2", "t1"]
    assert after[1].price_label == "$95.00"
    assert event.availability_label == "2 tickets from $90.00"


def test_a_sale_stays_on_the_page_as_sold() -> None:
    listings = shown(a_ticket("t1", 7_000, "locked", version=1))
    sold = a_ticket("t1", 7_000, "sold", version=2)
    event, after = with_ticket(
        an_event(available=0, locked=1, low=None), listings, sold, "locked", EVERYTHING, every=True
    )
    assert [(t.id, t.status) for t in after] == [("t1", "sold")]
    assert (event.locked, event.sold) == (0, 1)
    assert event.availability_label == "No tickets for sale"


def test_an_older_message_than_the_page_changes_nothing() -> None:
    listings = shown(a_ticket("t1", 7_000, "locked", version=3))
    event = an_event(available=1, locked=1)
    stale = a_ticket("t1", 7_000, "available", version=2)
    assert with_ticket(event, listings, stale, None, EVERYTHING, every=True) == (event, listings)


def test_a_filtered_page_counts_a_listing_it_does_not_show() -> None:
    in_a = ListingFilter.typed(section="A")
    event, after = with_ticket(
        an_event(available=2), [], a_ticket("t9", 5_000, "locked", version=1), "available",
        in_a, every=False,
    )  # fmt: skip
    assert after == []
    assert (event.available, event.locked) == (1, 1)


def test_a_listing_that_leaves_the_price_range_leaves_the_page() -> None:
    up_to_80 = ListingFilter.typed(max_price="80")
    listings = shown(a_ticket("t1", 7_000))
    _, after = with_ticket(
        an_event(), listings, a_ticket("t1", 9_000, version=1), "available", up_to_80, every=False
    )
    assert after == []


def test_an_unknown_ticket_that_is_not_for_sale_is_not_shown() -> None:
    _, after = with_ticket(
        an_event(), [], a_ticket("t1", 7_000, "sold", version=4), "locked", EVERYTHING, every=True
    )
    assert after == []


def test_a_cancellation_copied_onto_a_ticket_shows_in_the_header() -> None:
    listings = shown(a_ticket("t1", 7_000))
    void = a_ticket("t1", 7_000, "void", version=1, event={"status": "cancelled"})
    event, after = with_ticket(an_event(available=1), listings, void, None, EVERYTHING, every=True)
    assert (event.status, event.status_label) == ("cancelled", "Cancelled")
    assert [(t.id, t.status) for t in after] == [("t1", "void")]
    assert event.availability_label == "No tickets for sale"


def test_a_postponement_moves_the_event_s_date() -> None:
    later = "2031-09-01T20:00:00+00:00"
    moved = a_ticket("t1", 7_000, version=1, event={"status": "postponed", "startsAt": later})
    event, _ = with_ticket(
        an_event(), shown(a_ticket("t1", 7_000)), moved, None, EVERYTHING, every=True
    )
    assert (event.status, event.status_label, event.starts_at) == ("postponed", "Postponed", later)


def test_a_cancelled_event_stays_cancelled() -> None:
    cancelled = an_event().restated(
        a_ticket("t1", 7_000, "void", event={"status": "cancelled"}).event
    )
    stale = a_ticket("t2", 8_000, version=1)  # a copy from before the cancellation
    event, _ = with_ticket(cancelled, [], stale, "available", EVERYTHING, every=True)
    assert event.status == "cancelled"
