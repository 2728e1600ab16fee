"""The catalogue's pure rules: what makes two events one, and which quantities a listing
sells together."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from backend.tickets.catalogue import event_key, sells
from wire.events import Venue
from wire.values import SplitRule

pytestmark = pytest.mark.unit

AT = datetime(2030, 5, 1, 20, 0, 30, tzinfo=UTC)


def test_case_spacing_punctuation_and_seconds_do_not_make_another_event() -> None:
    one = event_key("Rock Night!", Venue(name="The Arena", city="Lyon"), AT)
    assert one == event_key(
        "  rock   NIGHT ", Venue(name="the arena", city="LYON"), AT.replace(second=0)
    )
    assert one != event_key("Rock Night", Venue(name="The Arena", city="Paris"), AT)
    assert one != event_key(
        "Rock Night", Venue(name="The Arena", city="Lyon"), AT.replace(minute=1)
    )


def test_names_of_symbols_alone_stay_apart() -> None:
    arena = Venue(name="Arena")
    assert event_key("!!!", arena, AT) != event_key("...", arena, AT)


@pytest.mark.parametrize(
    ("free", "size", "split", "quantity", "sold"),
    [
        (1, 1, None, 1, True),  # a ticket
        (1, 1, None, 2, False),
        (4, 4, SplitRule.ANY, 3, True),
        (4, 4, SplitRule.ANY, 5, False),
        (3, 4, SplitRule.PAIRS, 2, False),  # would leave one
        (3, 4, SplitRule.PAIRS, 3, True),
        (4, 4, SplitRule.PAIRS, 1, True),  # leaves three
        (4, 4, SplitRule.ALL, 4, True),
        (4, 4, SplitRule.ALL, 2, False),
        (3, 4, SplitRule.ALL, 3, False),  # one is held: not whole
    ],
)
def test_which_quantities_a_listing_sells(
    free: int, size: int, split: SplitRule | None, quantity: int, sold: bool
) -> None:
    assert sells(free, size, split, quantity) is sold
