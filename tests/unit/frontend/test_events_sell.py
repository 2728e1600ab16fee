"""The sell form's new event: what ``POST /api/tickets`` is sent as its ``event``."""

from __future__ import annotations

import pytest

from ticketing_ui.state.sell import new_event

pytestmark = pytest.mark.unit

STARTS = "2031-07-04T19:30:00+02:00"


def test_a_new_event_with_a_city_tells_its_venue_in_full() -> None:
    form = {"eventName": " The Band ", "kind": "theatre", "venue": " Olympia ", "city": " Paris "}
    assert new_event(form, STARTS, "Europe/Paris") == {
        "name": "The Band",
        "kind": "theatre",
        "venue": {"name": "Olympia", "city": "Paris", "timeZone": "Europe/Paris"},
        "startsAt": STARTS,
    }


def test_a_new_event_without_a_city_names_its_venue_only() -> None:
    form = {"eventName": "The Band", "kind": "concert", "venue": "Olympia", "city": "  "}
    assert new_event(form, STARTS, "Europe/Paris")["venue"] == "Olympia"


def test_a_new_event_is_a_concert_in_utc_unless_told() -> None:
    event = new_event({"eventName": "Gig", "venue": "Club", "city": "Oslo"}, STARTS, "")
    assert event["kind"] == "concert"
    assert event["venue"]["timeZone"] == "UTC"


def test_performers_are_typed_separated_by_commas() -> None:
    form = {"eventName": "Gig", "venue": "Club", "performers": " The Band, ,The Opener ,"}
    assert new_event(form, STARTS, "UTC")["performers"] == ["The Band", "The Opener"]


@pytest.mark.parametrize("typed", ["", " , "])
def test_no_performers_typed_sends_none(typed: str) -> None:
    form = {"eventName": "Gig", "venue": "Club", "performers": typed}
    assert "performers" not in new_event(form, STARTS, "UTC")
