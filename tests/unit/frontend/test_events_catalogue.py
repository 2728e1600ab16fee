"""The events catalogue as the home page asks for it and shows it: the query of
``GET /api/events`` from the typed filters, an event's card (``EventView``) and how a live
message's availability changes it, and what a ticket and an order show of their event."""

from __future__ import annotations

from typing import Any

import pytest

from ticketing_ui.models import EventView, TicketView, availability_label, status_label
from ticketing_ui.state.catalogue import PAGE_SIZE, catalogue_query, with_availability
from wire.events import Availability, EventPublic
from wire.live import TicketMessage, parse_frame
from wire.tickets import TicketPublic
from wire.values import EventKind, Money

pytestmark = pytest.mark.unit


def event_body(**changes: Any) -> dict[str, Any]:
    """An event as ``GET /api/events`` answers it."""
    body: dict[str, Any] = {
        "id": "66a1b2c3d4e5f60718293a4c",
        "name": "The Band — World Tour",
        "performers": ["The Band", "The Opener"],
        "kind": "concert",
        "venue": {
            "name": "Olympia Hall",
            "city": "Paris",
            "country": "FR",
            "timeZone": "Europe/Paris",
        },
        "startsAt": "2031-07-04T19:30:00Z",
        "status": "scheduled",
        "version": 2,
        "availability": {
            "available": 3,
            "locked": 1,
            "sold": 5,
            "minPrice": {"amount": 8_000, "currency": "usd"},
        },
    }
    body.update(changes)
    return body


def event(**changes: Any) -> EventView:
    return EventView.of(EventPublic.model_validate(event_body(**changes)))


def test_the_default_query_asks_for_upcoming_events_by_date() -> None:
    assert catalogue_query() == {"sort": "date", "page": 1, "pageSize": PAGE_SIZE}


def test_the_query_carries_every_typed_filter_trimmed() -> None:
    params = catalogue_query(
        q="  band ",
        kind="theatre",
        city=" Paris ",
        date_from="2031-07-01",
        date_to="2031-07-31",
        sort="popularity",
        page=3,
    )
    assert params == {
        "q": "band",
        "kind": "theatre",
        "city": "Paris",
        "startsAfter": "2031-07-01T00:00:00+00:00",
        "startsBefore": "2031-07-31T23:59:59+00:00",
        "sort": "popularity",
        "page": 3,
        "pageSize": PAGE_SIZE,
    }


@pytest.mark.parametrize("kind", [kind.value for kind in EventKind])
def test_the_query_asks_for_every_kind_of_the_contract(kind: str) -> None:
    assert catalogue_query(kind=kind)["kind"] == kind


@pytest.mark.parametrize(
    "typed",
    [
        {"kind": "all"},
        {"kind": "quiz"},  # a hand-made request: no kind filter rather than a 400
        {"q": "   "},
        {"city": ""},
        {"date_from": "04/07/2031"},
        {"date_to": "tomorrow"},
    ],
)
def test_the_query_leaves_out_what_filters_nothing(typed: dict[str, Any]) -> None:
    assert catalogue_query(**typed) == catalogue_query()


@pytest.mark.parametrize(("sort", "sent"), [("price", "price"), ("-price", "date"), ("", "date")])
def test_the_query_sorts_only_as_the_api_can(sort: str, sent: str) -> None:
    assert catalogue_query(sort=sort)["sort"] == sent


def test_the_query_never_asks_for_a_page_before_the_first() -> None:
    assert catalogue_query(page=0)["page"] == 1


def test_an_event_card_shows_who_where_when_and_from_how_much() -> None:
    view = event()
    assert view.id == "66a1b2c3d4e5f60718293a4c"
    assert view.performers_label == "The Band, The Opener"
    assert (view.kind, view.kind_label) == ("concert", "Concert")
    assert view.place_label == "Olympia Hall, Paris"
    assert view.time_zone == "Europe/Paris"
    assert (view.starts_at, view.starts_label) == (
        "2031-07-04T19:30:00+00:00",
        "Fri 04 Jul 2031, 19:30",
    )
    assert (view.status, view.status_label) == ("scheduled", "")
    assert (view.available, view.locked, view.sold) == (3, 1, 5)
    assert view.availability_label == "3 tickets from $80.00"


def test_an_event_with_nothing_for_sale_says_so() -> None:
    view = event(availability={"available": 0, "locked": 2, "sold": 4, "minPrice": None})
    assert view.availability_label == "No tickets for sale"
    assert (view.min_amount, view.currency) == (0, "")


def test_an_event_without_city_or_performers_shows_what_it_has() -> None:
    view = event(performers=[], venue={"name": "Olympia Hall"})
    assert view.place_label == "Olympia Hall"
    assert view.performers_label == ""


@pytest.mark.parametrize(
    ("status", "label"),
    [("scheduled", ""), ("postponed", "Postponed"), ("cancelled", "Cancelled"),
     ("relocated", "Relocated")],  # a status newer than this app: as given
)  # fmt: skip
def test_an_event_s_status_badge_says_postponed_or_cancelled(status: str, label: str) -> None:
    assert event(status=status).status_label == label


@pytest.mark.parametrize("kind", list(EventKind))
def test_an_event_labels_every_kind(kind: EventKind) -> None:
    assert event(kind=kind.value).kind_label == kind.value.title()


def test_an_event_of_a_kind_newer_than_this_app_is_other() -> None:
    view = event(kind="circus")
    assert (view.kind, view.kind_label) == ("circus", "Other")


@pytest.mark.parametrize(
    ("available", "low", "label"),
    [
        (1, Money(amount=4_250, currency="eur"), "1 ticket from €42.50"),
        (12, Money(amount=100, currency="usd"), "12 tickets from $1.00"),
        (0, None, "No tickets for sale"),
        (2, None, "No tickets for sale"),  # a count that ran ahead of its price
    ],
)
def test_availability_label(available: int, low: Money | None, label: str) -> None:
    assert availability_label(available, low) == label


def test_an_event_s_counts_read_back_as_the_contract_s_availability() -> None:
    public = EventPublic.model_validate(event_body())
    assert EventView.of(public).availability() == public.availability


def test_a_ticket_names_its_event_for_the_link_to_its_page() -> None:
    body = {
        "id": "t1",
        "title": "Front row",
        "event": {"id": "e1", "name": "The Band", "kind": "comedy", "venue": "Olympia",
                  "city": "Paris", "startsAt": "2031-07-04T19:30:00Z", "status": "postponed"},
        "section": "B",
        "price": {"amount": 7_500, "currency": "usd"},
        "sellerId": "s1",
        "ownerId": "s1",
        "status": "void",
        "version": 0,
    }  # fmt: skip
    view = TicketView.of(TicketPublic.model_validate(body))
    assert (view.event_id, view.city, view.place_label) == ("e1", "Paris", "Olympia, Paris")
    assert (view.event_status, view.event_status_label) == ("postponed", "Postponed")
    assert (view.kind_label, view.section, view.status) == ("Comedy", "B", "void")


def test_a_ticket_listed_before_the_catalogue_has_no_event_page() -> None:
    body = {
        "id": "t1",
        "title": "Front row",
        "event": {"name": "The Band", "kind": "concert", "venue": "Olympia",
                  "startsAt": "2031-07-04T19:30:00Z"},
        "price": {"amount": 7_500, "currency": "usd"},
        "sellerId": "s1",
        "ownerId": "s1",
        "version": 0,
    }  # fmt: skip
    view = TicketView.of(TicketPublic.model_validate(body))
    assert (view.event_id, view.place_label, view.event_status_label) == ("", "Olympia", "")


def test_an_order_cancelled_with_its_event_says_so() -> None:
    assert status_label("cancelled", "event_cancelled") == "Event cancelled"


# --- live cards -------------------------------------------------------------------------


def a_lock_of_a_ticket_of(event_id: str | None) -> TicketMessage:
    """A ``ticket.locked`` message as the ``tickets`` topic sends it, with its event's
    availability after the lock (one ticket left, from $90)."""
    copy = {
        "name": "The Band",
        "kind": "concert",
        "venue": "Olympia",
        "startsAt": "2031-07-04T19:30:00Z",
    } | ({"id": event_id} if event_id else {})
    frame = parse_frame({
        "type": "ticket.locked", "cursor": 12, "ticketId": "t1",
        "ticket": {"id": "t1", "title": "Front row", "event": copy,
                   "price": {"amount": 8_000, "currency": "usd"}, "sellerId": "s1",
                   "ownerId": "s1", "status": "locked", "lockedUntil": "2031-07-01T10:15:00Z",
                   "version": 1},
        "lockedUntil": "2031-07-01T10:15:00Z",
        "price": {"amount": 8_000, "currency": "usd"},
        "availability": {"available": 1, "locked": 2, "sold": 5,
                         "minPrice": {"amount": 9_000, "currency": "usd"}},
    })  # fmt: skip
    assert isinstance(frame, TicketMessage)
    return frame


def test_a_live_message_updates_the_card_of_its_event() -> None:
    other = event(id="77a1b2c3d4e5f60718293a4c", name="Another show")
    shown = [event(), other]
    message = a_lock_of_a_ticket_of("66a1b2c3d4e5f60718293a4c")
    assert message.availability is not None
    after = with_availability(shown, message.ticket.event.id, message.availability)
    assert after is not None
    assert [e.availability_label for e in after] == [
        "1 ticket from $90.00",
        "3 tickets from $80.00",
    ]
    assert (after[0].available, after[0].locked, after[0].sold) == (1, 2, 5)
    assert after[1] == other


def test_a_card_whose_last_ticket_goes_says_nothing_is_for_sale() -> None:
    after = with_availability([event()], "66a1b2c3d4e5f60718293a4c", Availability(locked=1))
    assert after is not None
    assert after[0].availability_label == "No tickets for sale"


@pytest.mark.parametrize("event_id", ["88a1b2c3d4e5f60718293a4c", None])
def test_a_message_about_an_event_not_on_the_page_changes_nothing(event_id: str | None) -> None:
    message = a_lock_of_a_ticket_of(event_id)
    assert message.availability is not None
    assert with_availability([event()], message.ticket.event.id, message.availability) is None
