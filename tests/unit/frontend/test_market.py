"""The market page's filters: prices and days as typed, and which live listings show."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from ticketing_ui.state.market import cents, day_bound, market_filter
from wire.tickets import TicketPublic

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("75", 7_500),
        ("75.5", 7_550),
        ("75.50", 7_550),
        ("1,250.00", 125_000),
        (" 12.34 ", 1_234),
        ("0", 0),
        ("", None),
        ("   ", None),
        ("abc", None),
        ("-3", None),
        ("nan", None),
        ("inf", None),
        ("1e400", None),  # overflows to infinity
    ],
)
def test_cents_of_typed_prices(text: str, expected: int | None) -> None:
    assert cents(text) == expected


def test_day_bound_starts_and_ends_a_utc_day() -> None:
    assert day_bound("2031-07-04", end=False) == datetime(2031, 7, 4, tzinfo=UTC)
    assert day_bound("2031-07-04", end=True) == datetime(2031, 7, 4, 23, 59, 59, tzinfo=UTC)


@pytest.mark.parametrize("text", ["", "04/07/2031", "2031-02-30", "tomorrow"])
def test_day_bound_of_no_or_bad_day_is_none(text: str) -> None:
    assert day_bound(text, end=False) is None
    assert day_bound(text, end=True) is None


def a_ticket(starts_at: str = "2031-07-04T19:30:00+00:00", amount: int = 7_500) -> TicketPublic:
    event = {"name": "The Band", "kind": "concert", "venue": "Olympia Hall", "startsAt": starts_at}
    return TicketPublic.model_validate(
        {
            "id": "t1",
            "title": "Front row",
            "event": event,
            "price": {"amount": amount, "currency": "usd"},
            "sellerId": "s1",
            "ownerId": "s1",
            "status": "available",
            "version": 0,
        }
    )


TICKET = a_ticket()


def ticket_matches(ticket: TicketPublic, **typed: Any) -> bool:
    """The filters as typed in the form, asked of a listing that appeared live."""
    return market_filter(**typed).matches(ticket)


def test_every_ticket_matches_no_filters() -> None:
    assert ticket_matches(TICKET)


@pytest.mark.parametrize(("kind", "expected"), [("all", True), ("concert", True), ("sport", False)])
def test_ticket_matches_kind(kind: str, expected: bool) -> None:
    assert ticket_matches(TICKET, kind=kind) is expected


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("front", True),  # title
        ("BAND", True),  # event, any case
        ("  olympia ", True),  # venue, trimmed
        ("stadium", False),
        ("row the", False),  # across title and event: the API does not match that either
    ],
)
def test_ticket_matches_text_within_one_field(q: str, expected: bool) -> None:
    assert ticket_matches(TICKET, q=q) is expected


@pytest.mark.parametrize(
    ("low", "high", "expected"),
    [
        ("75", "", True),  # bounds are inclusive
        ("", "75.00", True),
        ("75.01", "", False),
        ("", "74.99", False),
        ("50", "100", True),
        ("abc", "-3", True),  # prices that are not prices filter nothing (as in the request)
    ],
)
def test_ticket_matches_price_range(low: str, high: str, expected: bool) -> None:
    assert ticket_matches(TICKET, min_price=low, max_price=high) is expected


@pytest.mark.parametrize(
    ("date_from", "date_to", "expected"),
    [
        ("2031-07-04", "2031-07-04", True),  # the whole day, both ends
        ("2031-07-05", "", False),
        ("", "2031-07-03", False),
        ("2031-07-01", "2031-07-31", True),
        ("not a day", "", True),
    ],
)
def test_ticket_matches_days(date_from: str, date_to: str, expected: bool) -> None:
    assert ticket_matches(TICKET, date_from=date_from, date_to=date_to) is expected


def test_ticket_matches_days_by_the_instant_not_the_written_offset() -> None:
    # 4 July 23:30 in New York is already 5 July in UTC, the zone the day filters use.
    late = a_ticket(starts_at="2031-07-04T23:30:00-04:00")
    assert not ticket_matches(late, date_to="2031-07-04")
    assert ticket_matches(late, date_from="2031-07-05")


def test_ticket_matches_needs_every_filter() -> None:
    filters = {"kind": "concert", "q": "band", "min_price": "70", "date_from": "2031-07-04"}
    assert ticket_matches(TICKET, **filters)
    assert not ticket_matches(a_ticket(amount=6_000), **filters)
