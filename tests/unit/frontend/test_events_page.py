"""The event page: which listings it asks for, and how its ``event:<id>`` topic — the
snapshot, then each message about one of its tickets — changes its listings, and tells
its "N tickets from $X" and "M on hold" (the ``availability`` they carry)."""

from __future__ import annotations

from typing import Any

import pytest

from ticketing_ui.models import EventView, TicketView
from ticketing_ui.state.event import (
    LISTING_LIMIT,
    ListingFilter,
    cheapest_first,
    with_snapshot,
    with_ticket,
)
from ticketing_ui.state.live import page_topics
from wire.events import Availability, EventPublic
from wire.live import Snapshot, TicketMessage, parse_frame
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
    section: str = "B",
) -> TicketPublic:
    copy = {"id": EVENT_ID, "name": "The Band", "kind": "concert", "venue": "Olympia Hall",
            "city": "Paris", "startsAt": STARTS} | (event or {})  # fmt: skip
    return TicketPublic.model_validate(
        {
            "id": ticket_id,
            "title": f"Ticket {ticket_id}",
            "event": copy,
            "section": section,
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


# --- what the page follows ------------------------------------------------------------


def test_an_event_page_follows_its_event_s_topic() -> None:
    assert page_topics(f"/events/{EVENT_ID}") == [f"event:{EVENT_ID}"]
    assert page_topics(f"/events/{EVENT_ID}/") == [f"event:{EVENT_ID}"]


@pytest.mark.parametrize("path", ["/", "", "/tickets", "/orders", "/events/not-an-id"])
def test_every_other_page_follows_the_market(path: str) -> None:
    assert page_topics(path) == ["tickets"]


# --- live messages ----------------------------------------------------------------------


def availability(
    available: int, locked: int = 0, sold: int = 0, low: int | None = None
) -> Availability:
    price = None if low is None else {"amount": low, "currency": "usd"}
    return Availability.model_validate(
        {"available": available, "locked": locked, "sold": sold, "minPrice": price}
    )


def test_a_message_s_availability_is_the_header_as_sent() -> None:
    frame = parse_frame(
        {
            "type": "ticket.locked",
            "cursor": 9,
            "ticketId": "t1",
            "ticket": a_ticket("t1", 7_000, "locked", version=1).model_dump(mode="json"),
            "lockedUntil": "2031-07-01T10:15:00Z",
            "price": {"amount": 7_000, "currency": "usd"},
            "availability": {"available": 1, "locked": 1, "sold": 0,
                             "minPrice": {"amount": 9_000, "currency": "usd"}},
        }
    )  # fmt: skip
    assert isinstance(frame, TicketMessage)
    listings = shown(a_ticket("t1", 7_000), a_ticket("t2", 9_000))
    event, after = with_ticket(
        an_event(low=7_000), listings, frame.ticket, frame.availability, EVERYTHING
    )
    assert [(t.id, t.status) for t in after] == [("t1", "locked"), ("t2", "available")]
    assert after[0].locked_until_ms > 0  # the countdown's deadline
    assert (event.available, event.locked, event.sold) == (1, 1, 0)
    assert event.availability_label == "1 ticket from $90.00"


def test_a_new_listing_appears_in_price_order() -> None:
    listings = shown(a_ticket("t1", 7_000), a_ticket("t2", 9_000))
    event, after = with_ticket(
        an_event(low=7_000), listings, a_ticket("t3", 6_500), availability(3, low=6_500),
        EVERYTHING,
    )  # fmt: skip
    assert ids(after) == ["t3", "t1", "t2"]
    assert event.availability_label == "3 tickets from $65.00"


def test_a_price_change_moves_the_listing_to_its_place() -> None:
    listings = shown(a_ticket("t1", 7_000), a_ticket("t2", 9_000))
    dearer = a_ticket("t1", 9_500, version=1)
    event, after = with_ticket(
        an_event(low=7_000), listings, dearer, availability(2, low=9_000), EVERYTHING
    )
    assert ids(after) == ["t2", "t1"]
    assert after[1].price_label == "$95.00"
    assert event.availability_label == "2 tickets from $90.00"


def test_a_sale_stays_on_the_page_as_sold() -> None:
    listings = shown(a_ticket("t1", 7_000, "locked", version=1))
    sold = a_ticket("t1", 7_000, "sold", version=2)
    event, after = with_ticket(
        an_event(available=0, locked=1, low=None), listings, sold, availability(0, sold=1),
        EVERYTHING,
    )  # fmt: skip
    assert [(t.id, t.status) for t in after] == [("t1", "sold")]
    assert (event.locked, event.sold) == (0, 1)
    assert event.availability_label == "No tickets for sale"


def test_an_older_message_than_the_page_changes_nothing() -> None:
    listings = shown(a_ticket("t1", 7_000, "locked", version=3))
    event = an_event(available=1, locked=1)
    stale = a_ticket("t1", 7_000, "available", version=2)
    assert with_ticket(event, listings, stale, availability(2, low=7_000), EVERYTHING) == (
        event,
        listings,
    )


def test_a_message_without_availability_keeps_the_header() -> None:
    event = an_event(available=2, low=8_000)
    after, _ = with_ticket(event, [], a_ticket("t1", 9_000, version=1), None, EVERYTHING)
    assert after == event


def test_a_filtered_page_shows_the_event_s_true_counts_and_from_price() -> None:
    # The page shows section C only; a cheaper listing of section A is locked, then
    # released: the header follows the event, not the listings shown.
    in_c = ListingFilter.typed(section="C")
    listings = shown(a_ticket("t2", 5_500, section="C"))
    event = an_event(available=2, low=4_500)
    event, after = with_ticket(
        event, listings, a_ticket("t1", 4_500, "locked", version=1, section="A"),
        availability(1, locked=1, low=5_500), in_c,
    )  # fmt: skip
    assert ids(after) == ["t2"]
    assert (event.availability_label, event.locked) == ("1 ticket from $55.00", 1)
    event, after = with_ticket(
        event, after, a_ticket("t1", 4_500, version=2, section="A"),
        availability(2, low=4_500), in_c,
    )  # fmt: skip
    assert ids(after) == ["t2"]
    assert (event.availability_label, event.locked) == ("2 tickets from $45.00", 0)


def test_a_listing_that_leaves_the_price_range_leaves_the_page() -> None:
    up_to_80 = ListingFilter.typed(max_price="80")
    listings = shown(a_ticket("t1", 7_000))
    _, after = with_ticket(
        an_event(), listings, a_ticket("t1", 9_000, version=1), availability(2, low=8_000),
        up_to_80,
    )  # fmt: skip
    assert after == []


def test_an_unknown_ticket_that_is_not_for_sale_is_not_shown() -> None:
    _, after = with_ticket(
        an_event(), [], a_ticket("t1", 7_000, "sold", version=4), availability(2), EVERYTHING
    )
    assert after == []


def test_a_cancellation_copied_onto_a_ticket_shows_in_the_header() -> None:
    listings = shown(a_ticket("t1", 7_000))
    void = a_ticket("t1", 7_000, "void", version=1, event={"status": "cancelled"})
    event, after = with_ticket(an_event(available=1), listings, void, availability(0), EVERYTHING)
    assert (event.status, event.status_label) == ("cancelled", "Cancelled")
    assert [(t.id, t.status) for t in after] == [("t1", "void")]
    assert event.availability_label == "No tickets for sale"


def test_a_postponement_moves_the_event_s_date() -> None:
    later = "2031-09-01T20:00:00+00:00"
    moved = a_ticket("t1", 7_000, version=1, event={"status": "postponed", "startsAt": later})
    event, _ = with_ticket(an_event(), shown(a_ticket("t1", 7_000)), moved, None, EVERYTHING)
    assert (event.status, event.status_label, event.starts_at) == ("postponed", "Postponed", later)


def test_a_cancelled_event_stays_cancelled() -> None:
    cancelled = an_event().restated(
        a_ticket("t1", 7_000, "void", event={"status": "cancelled"}).event
    )
    stale = a_ticket("t2", 8_000, version=1)  # a copy from before the cancellation
    event, _ = with_ticket(cancelled, [], stale, None, EVERYTHING)
    assert event.status == "cancelled"


# --- the snapshot -----------------------------------------------------------------------


def snapshot(*tickets: TicketPublic, counts: Availability) -> Snapshot:
    frame = parse_frame(
        {
            "type": "snapshot",
            "topic": f"event:{EVENT_ID}",
            "cursor": 40,
            "tickets": [t.model_dump(mode="json") for t in tickets],
            "availability": counts.model_dump(mode="json", by_alias=True),
        }
    )
    assert isinstance(frame, Snapshot)
    return frame


def test_the_snapshot_gives_the_listings_and_the_header() -> None:
    frame = snapshot(
        a_ticket("t2", 9_000, version=1),
        a_ticket("t1", 6_000, "locked", version=2),
        counts=availability(1, locked=1, sold=3, low=9_000),
    )
    event, after = with_snapshot(
        an_event(available=2, low=6_000), [], frame.tickets or [], frame.availability, EVERYTHING
    )
    assert [(t.id, t.status) for t in after] == [("t1", "locked"), ("t2", "available")]
    assert (event.available, event.locked, event.sold) == (1, 1, 3)
    assert event.availability_label == "1 ticket from $90.00"


def test_the_snapshot_is_held_to_the_page_s_filter() -> None:
    frame = snapshot(
        a_ticket("t1", 4_500, section="A"), a_ticket("t2", 5_500, section="C"),
        counts=availability(2, low=4_500),
    )  # fmt: skip
    event, after = with_snapshot(
        an_event(), [], frame.tickets or [], frame.availability, ListingFilter.typed(section="C")
    )
    assert ids(after) == ["t2"]
    assert event.availability_label == "2 tickets from $45.00"  # the event's, not the page's


def test_a_listing_missing_from_the_snapshot_is_no_longer_for_sale() -> None:
    listings = shown(
        a_ticket("t1", 6_000), a_ticket("t2", 7_000, "sold", version=2), a_ticket("t3", 8_000)
    )
    event, after = with_snapshot(
        an_event(), listings, [a_ticket("t3", 8_000)], availability(1, sold=1, low=8_000),
        EVERYTHING,
    )  # fmt: skip
    assert [(t.id, t.status) for t in after] == [("t2", "sold"), ("t3", "available")]
    assert event.availability_label == "1 ticket from $80.00"


def test_the_page_s_newer_copy_of_a_listing_outlives_the_snapshot_s() -> None:
    listings = shown(a_ticket("t1", 6_500, version=3))
    _, after = with_snapshot(
        an_event(), listings, [a_ticket("t1", 6_000, version=2)], None, EVERYTHING
    )
    assert [(t.id, t.price_label) for t in after] == [("t1", "$65.00")]
