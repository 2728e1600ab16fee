"""Seats sold together: how a seller types them ("11-14", "11, 12, 13"), how a page names
them ("seats 11-14", with an en dash), and which quantities a buyer may take under the
listing's rule."""

from __future__ import annotations

import re
from dataclasses import dataclass

MIN_SEATS, MAX_SEATS = 2, 20  # what ``POST /api/listings`` accepts
EN_DASH = "\u2013"  # "seats 11-14" as print sets it
MAX_LABEL = 20  # characters in one seat's label
# A seat label's text and number: "A12" → ("A", 12); "12" → ("", 12).
_NUMBERED = re.compile(r"(?P<prefix>.*?)(?P<number>\d+)")

SPLIT_RULES = {
    "any": "Buyers take any number of these seats.",
    "pairs": "Buyers take any number, as long as it never leaves a single seat on its own.",
    "all": "Sold together only: one buyer takes every seat.",
}
SPLIT_LABELS = {
    "any": "Any number",
    "pairs": "Never leave a single seat",
    "all": "All together only",
}


def split_words(split: str, size: int) -> str:
    """A listing's rule as its buyers read it."""
    if split == "all":
        return f"Sold together only: all {size} seats in one order."
    if split == "pairs":
        return "Buy any number that doesn't leave a single seat on its own."
    return "Buy as many of these seats as you like."


@dataclass(frozen=True)
class TypedSeats:
    """What the seller typed, read: the seats in order, or why they can't be listed."""

    seats: tuple[str, ...] = ()
    error: str = ""


def _numbered(label: str) -> tuple[str, int] | None:
    found = _NUMBERED.fullmatch(label)
    return (found["prefix"], int(found["number"])) if found else None


def _expanded(part: str) -> list[str] | str:
    """One comma-separated part: a seat ("12", "A12") or a range ("11-14", "A1-A4");
    the seats it names, or what is wrong with it."""
    ends = [end.strip() for end in re.split(rf"\s*[-{EN_DASH}]\s*", part)]
    if len(ends) == 1:
        return ends
    first, last = (_numbered(end) for end in ends) if len(ends) == 2 else (None, None)
    if first is None or last is None:
        return f"“{part}” is not a range like 11-14."
    prefix = first[0]
    if last[0] not in ("", prefix):  # "A1-4" and "A1-A4" are the same range
        return f"“{part}”: both ends must be in the same row of labels."
    if last[1] < first[1]:
        return f"“{part}” runs backwards."
    if last[1] - first[1] + 1 > MAX_SEATS:
        return f"“{part}” is more than {MAX_SEATS} seats."
    return [f"{prefix}{number}" for number in range(first[1], last[1] + 1)]


def parse_seats(text: str) -> TypedSeats:
    """The seats typed as labels and ranges separated by commas ("11-14", "11, 12, 13",
    "A1-A3, A7"): {MIN_SEATS}..{MAX_SEATS} distinct labels, in the order typed."""
    seats: list[str] = []
    for part in (p.strip() for p in re.split(r"[,;]", text)):
        if not part:
            continue
        named = _expanded(part)
        if isinstance(named, str):
            return TypedSeats(error=named)
        seats.extend(named)
    if too_long := next((seat for seat in seats if len(seat) > MAX_LABEL), None):
        return TypedSeats(error=f"“{too_long}” is longer than {MAX_LABEL} characters.")
    seen: set[str] = set()
    for seat in seats:
        if seat.casefold() in seen:
            return TypedSeats(error=f"Seat {seat} is listed twice.")
        seen.add(seat.casefold())
    if len(seats) < MIN_SEATS:
        return TypedSeats(error="Type at least two seats, e.g. 11-14 or 11, 12.")
    if len(seats) > MAX_SEATS:
        return TypedSeats(error=f"At most {MAX_SEATS} seats in one listing.")
    return TypedSeats(tuple(seats))


def seat_order(label: str) -> tuple[str, int, str]:
    """Seat 2 before seat 10, each row of labels ("A1", "A2") together."""
    numbered = _numbered(label)
    return (numbered[0], numbered[1], "") if numbered else (label, -1, label)


def seats_label(labels: list[str]) -> str:
    """The seats as a page names them: runs joined by an en dash
    ("11-14", "A1-A3, A7"), others listed."""
    runs: list[list[tuple[str, int] | str]] = []
    for label in sorted(labels, key=seat_order):
        numbered = _numbered(label)
        last = runs[-1][-1] if runs else None
        if (
            numbered is not None
            and isinstance(last, tuple)
            and last[0] == numbered[0]
            and last[1] + 1 == numbered[1]
        ):
            runs[-1].append(numbered)
        else:
            runs.append([numbered if numbered is not None else label])
    return ", ".join(_run_label(run) for run in runs)


def seats_place(section: str, row: str, labels: list[str]) -> str:
    """Where a listing's seats are: "Section C, row 4 · seats 11-14" (an en dash)."""
    place = ", ".join(
        part for part in (section and f"Section {section}", row and f"row {row}") if part
    )
    seats = seats_label([label for label in labels if label])
    return " · ".join(part for part in (place, seats and f"seats {seats}") if part)


def _run_label(run: list[tuple[str, int] | str]) -> str:
    def text(seat: tuple[str, int] | str) -> str:
        return seat if isinstance(seat, str) else f"{seat[0]}{seat[1]}"

    if len(run) == 1:
        return text(run[0])
    if len(run) == 2:
        return f"{text(run[0])}, {text(run[1])}"
    return f"{text(run[0])}{EN_DASH}{text(run[-1])}"


def allowed_quantities(split: str, free: int, size: int) -> list[int]:
    """How many of a listing's ``free`` seats (of ``size`` in all) one order may take, as
    the orders service's hold keeps the rule: ``any`` 1..free; ``pairs`` the same but
    never leaving exactly one free; ``all`` only every seat, and only while all are free."""
    if split == "all":
        return [size] if free == size and size > 0 else []
    every = list(range(1, free + 1))
    if split == "pairs":
        return [k for k in every if free - k != 1]
    return every
