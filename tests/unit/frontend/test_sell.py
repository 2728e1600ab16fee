"""The sell form's event time: a ``datetime-local`` value in the browser's zone."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ticketing_ui.state.sell import local_to_iso

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("text", "zone", "expected"),
    [
        ("2031-07-04T19:30", "UTC", "2031-07-04T19:30:00+00:00"),
        ("2031-07-04T19:30", "", "2031-07-04T19:30:00+00:00"),  # no zone known: UTC
        ("2031-07-04T19:30", "Europe/Paris", "2031-07-04T19:30:00+02:00"),  # summer time
        ("2031-01-04T19:30", "Europe/Paris", "2031-01-04T19:30:00+01:00"),  # winter time
        ("2031-07-04T19:30", "America/New_York", "2031-07-04T19:30:00-04:00"),
        ("2031-07-04T19:30", "Asia/Kolkata", "2031-07-04T19:30:00+05:30"),
        ("2031-07-04T19:30:15", "UTC", "2031-07-04T19:30:15+00:00"),
    ],
)
def test_local_to_iso_adds_the_zone_offset(text: str, zone: str, expected: str) -> None:
    assert local_to_iso(text, zone) == expected


def test_local_to_iso_of_an_hour_that_happens_twice_is_the_first() -> None:
    # Paris goes back from 03:00 to 02:00 on 26 October 2031: 02:30 is first in summer time.
    assert local_to_iso("2031-10-26T02:30", "Europe/Paris") == "2031-10-26T02:30:00+02:00"


def test_local_to_iso_of_a_skipped_hour_is_still_a_valid_instant() -> None:
    # Paris jumps from 02:00 to 03:00 on 30 March 2031: 02:30 does not exist there.
    iso = local_to_iso("2031-03-30T02:30", "Europe/Paris")
    assert iso is not None
    assert datetime.fromisoformat(iso).astimezone(UTC) == datetime(2031, 3, 30, 1, 30, tzinfo=UTC)


def test_local_to_iso_keeps_an_explicit_offset() -> None:
    iso = local_to_iso("2031-07-04T19:30+02:00", "America/New_York")
    assert iso == "2031-07-04T19:30:00+02:00"


@pytest.mark.parametrize(
    ("text", "zone"),
    [
        ("", "UTC"),
        ("next friday", "UTC"),
        ("2031-13-01T10:00", "UTC"),
        ("2031-07-04T19:30", "Mars/Olympus_Mons"),
        ("2031-07-04T19:30", "America"),  # a folder of the zone database, not a zone
        ("2031-07-04T19:30", "../../etc/passwd"),
        ("2031-07-04T19:30", "/etc/localtime"),
    ],
)
def test_local_to_iso_of_a_bad_time_or_zone_is_none(text: str, zone: str) -> None:
    assert local_to_iso(text, zone) is None
