"""Seats sold together, as the web app reads and shows them: the seats a seller types,
how a page names them, and which quantities a buyer may pick under the listing's rule."""

from __future__ import annotations

import pytest

from ticketing_ui.seats import (
    EN_DASH,
    MAX_SEATS,
    allowed_quantities,
    parse_seats,
    seats_label,
    seats_place,
)

pytestmark = pytest.mark.unit


# --- the seats typed -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "seats"),
    [
        ("11-14", ("11", "12", "13", "14")),
        ("11 - 14", ("11", "12", "13", "14")),
        (f"11{EN_DASH}13", ("11", "12", "13")),  # as pages print a range
        ("11, 12, 13", ("11", "12", "13")),
        ("11,12", ("11", "12")),
        ("11; 12", ("11", "12")),
        ("A1-A3", ("A1", "A2", "A3")),
        ("A1-3", ("A1", "A2", "A3")),  # the row's letters once
        ("1-2, 7", ("1", "2", "7")),
        ("14, 12, 13", ("14", "12", "13")),  # in the order typed
        ("Box 1, Box 2", ("Box 1", "Box 2")),
        (" 11-12 , ", ("11", "12")),  # stray commas and spaces
    ],
)
def test_typed_seats_are_read_as_labels_and_ranges(typed: str, seats: tuple[str, ...]) -> None:
    read = parse_seats(typed)
    assert read.error == ""
    assert read.seats == seats


@pytest.mark.parametrize(
    ("typed", "why"),
    [
        ("", "at least two"),
        ("12", "at least two"),
        ("12-12", "at least two"),
        ("14-11", "backwards"),
        ("11-", "not a range"),
        ("a-b", "not a range"),
        ("1-2-3", "not a range"),
        ("A1-B3", "same row"),
        ("11, 12, 11", "twice"),
        ("a1, A1", "twice"),  # as the API compares them
        ("1-21", f"more than {MAX_SEATS}"),
        ("1-15, 20-25", f"At most {MAX_SEATS}"),
        ("1, " + "x" * 21, "longer than 20"),
    ],
)
def test_seats_that_cannot_be_listed_say_why(typed: str, why: str) -> None:
    read = parse_seats(typed)
    assert read.seats == ()
    assert why in read.error


def test_twenty_seats_is_the_most_one_listing_takes() -> None:
    assert len(parse_seats("1-20").seats) == MAX_SEATS


# --- how a page names them -------------------------------------------------------------


@pytest.mark.parametrize(
    ("labels", "named"),
    [
        (["11", "12", "13", "14"], f"11{EN_DASH}14"),
        (["14", "12", "11", "13"], f"11{EN_DASH}14"),  # in seat order
        (["11", "12"], "11, 12"),
        (["9", "10", "11"], f"9{EN_DASH}11"),  # 10 after 9, not after 1
        (["11", "12", "13", "15"], f"11{EN_DASH}13, 15"),
        (["A1", "A2", "A3", "B1"], f"A1{EN_DASH}A3, B1"),
        (["Box", "11"], "11, Box"),
        (["7"], "7"),
    ],
)
def test_seats_are_named_by_their_runs(labels: list[str], named: str) -> None:
    assert seats_label(labels) == named


def test_a_listing_s_place_names_its_section_row_and_seats() -> None:
    assert seats_place("C", "4", ["11", "12", "13", "14"]) == (
        f"Section C, row 4 · seats 11{EN_DASH}14"
    )
    assert seats_place("", "", ["1", "3"]) == "seats 1, 3"
    assert seats_place("C", "", []) == "Section C"


# --- the quantities one order may take -------------------------------------------------


@pytest.mark.parametrize(
    ("split", "free", "size", "quantities"),
    [
        ("any", 4, 4, [1, 2, 3, 4]),
        ("any", 1, 4, [1]),
        ("any", 0, 4, []),
        ("pairs", 4, 4, [1, 2, 4]),  # 3 would leave one seat alone
        ("pairs", 3, 4, [1, 3]),  # 2 would
        ("pairs", 2, 4, [2]),  # 1 would
        ("pairs", 5, 6, [1, 2, 3, 5]),
        ("pairs", 0, 4, []),
        ("all", 4, 4, [4]),
        ("all", 3, 4, []),  # not whole while a seat is held
        ("all", 0, 4, []),
    ],
)
def test_the_quantities_offered_keep_the_listing_s_rule(
    split: str, free: int, size: int, quantities: list[int]
) -> None:
    assert allowed_quantities(split, free, size) == quantities


@pytest.mark.parametrize("free", range(0, 9))
def test_no_pairs_quantity_leaves_a_single_seat(free: int) -> None:
    assert all(free - k != 1 for k in allowed_quantities("pairs", free, 8))
