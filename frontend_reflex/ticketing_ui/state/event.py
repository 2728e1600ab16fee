"""One event: its listings, cheapest first, filtered, and kept current by its live
``event:<id>`` topic, whose snapshot and messages also tell the event's availability."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import reflex as rx

from ticketing_ui import api
from ticketing_ui.models import EventView, ListingRow, TicketView
from ticketing_ui.seats import allowed_quantities, seat_order, seats_place, split_words
from ticketing_ui.state.market import cents
from ticketing_ui.state.session import SessionState, now_ms
from ticketing_ui.state.ticket import path_id
from wire.events import Availability, EventDetail
from wire.live import AnyFrame, Snapshot, TicketMessage
from wire.orders import OrderPublic
from wire.tickets import TicketPublic
from wire.values import Event

LISTING_LIMIT = 200  # what ``GET /api/events/{id}`` answers at most
OPEN = ("available", "locked")  # a listing someone may buy now or soon


@dataclass(frozen=True)
class ListingFilter:
    """The listings the page asks for, and whether a ticket seen live is one of them."""

    section: str = ""
    min_price: int | None = None  # cents
    max_price: int | None = None

    @classmethod
    def typed(cls, *, section: str = "", min_price: str = "", max_price: str = "") -> ListingFilter:
        return cls(section.strip(), cents(min_price), cents(max_price))

    @property
    def active(self) -> bool:
        return bool(self.section) or self.min_price is not None or self.max_price is not None

    def query_params(self) -> dict[str, Any]:
        """As ``GET /api/events/{id}`` reads them."""
        params: dict[str, Any] = {"limit": LISTING_LIMIT}
        if self.section:
            params["section"] = self.section
        if self.min_price is not None:
            params["minPrice"] = self.min_price
        if self.max_price is not None:
            params["maxPrice"] = self.max_price
        return params

    def matches(self, ticket: TicketView) -> bool:
        if self.section and ticket.section.casefold() != self.section.casefold():
            return False
        if self.min_price is not None and ticket.amount < self.min_price:
            return False
        return self.max_price is None or ticket.amount <= self.max_price


def cheapest_first(listings: list[TicketView]) -> list[TicketView]:
    return sorted(listings, key=lambda t: t.amount)  # stable: the API's order among equals


def ticket_row(ticket: TicketView) -> ListingRow:
    """A ticket sold on its own, as its row shows it."""
    return ListingRow(
        id=ticket.id,
        ticket_id=ticket.id,
        title=ticket.title,
        place_label=ticket.seat_label,
        seller_name=ticket.seller_name,
        seller_id=ticket.seller_id,
        price_label=ticket.price_label,
        status=ticket.status,
        locked_until_ms=ticket.locked_until_ms,
    )


def seats_row(seats: list[TicketView]) -> ListingRow:
    """The seats of one listing the page shows, as one row: how many are free, held and
    sold, and the quantities its rule lets one order take of the free ones."""
    seats = sorted(seats, key=lambda seat: seat_order(seat.seat))
    first = seats[0]
    count = Counter(seat.status for seat in seats)
    free, held, sold = count["available"], count["locked"], count["sold"]
    size = max(first.listing_size, len(seats))
    if free:
        status = "available"
    elif held:
        status = "locked"
    else:
        status = "void" if count["void"] == len(seats) else "sold"
    quantities = [str(k) for k in allowed_quantities(first.split, free, size)]
    low = min(seats, key=lambda seat: seat.amount)
    same = all(seat.amount == low.amount for seat in seats)
    return ListingRow(
        id=first.listing_id,
        listing_id=first.listing_id,
        ticket_id=first.id,
        title=first.title,
        place_label=seats_place(first.section, first.row, [seat.seat for seat in seats]),
        seller_name=first.seller_name,
        seller_id=first.seller_id,
        price_label=("" if same else "from ") + f"{low.price_label} each",
        status=status,
        locked_until_ms=min((s.locked_until_ms for s in seats if s.status == "locked"), default=0),
        free=free,
        held=held,
        sold=sold,
        free_label=f"{free} available",
        split_label=split_words(first.split, size),
        quantities=quantities,
        quantity=quantities[0] if quantities else "",
        picker_key=f"{first.listing_id}:{','.join(quantities)}",
    )


def listing_rows(listings: list[TicketView]) -> list[ListingRow]:
    """The page's rows, in the listings' order: each ticket sold on its own, and the seats
    of each listing together, where its first seat comes."""
    listings_seats: dict[str, list[TicketView]] = {}
    for ticket in listings:
        if ticket.listing_id:
            listings_seats.setdefault(ticket.listing_id, []).append(ticket)
    rows: list[ListingRow] = []
    for ticket in listings:
        if not ticket.listing_id:
            rows.append(ticket_row(ticket))
        elif (seats := listings_seats.pop(ticket.listing_id, None)) is not None:
            rows.append(seats_row(seats))
    return rows


def counted(event: EventView, availability: Availability | None) -> EventView:
    """``event`` with the live API's ``availability`` as its counts and its "N tickets
    from $X" (kept as it is when a message has none)."""
    return event if availability is None else event.counted(availability)


def restated(event: EventView, copy: Event) -> EventView:
    """``event`` as a ticket's copy of it says it is now: the tickets service copies a
    postponement or a cancellation onto each of its tickets (cancelled is final)."""
    moved = copy.status != event.status or (
        bool(event.starts_at) and copy.starts_at != datetime.fromisoformat(event.starts_at)
    )
    return event.restated(copy) if moved and event.status != "cancelled" else event


def with_ticket(
    event: EventView,
    listings: list[TicketView],
    ticket: TicketPublic,
    availability: Availability | None,
    listing_filter: ListingFilter,
) -> tuple[EventView, list[TicketView]]:
    """The event and its listings once one of its tickets is as the live API tells it now,
    with ``availability``: the event's counts after that change, as the message tells
    them."""
    view = TicketView.of(ticket)
    current = next((t for t in listings if t.id == view.id), None)
    if current is not None and view.version < current.version:
        return event, listings  # older than what the page shows
    event = restated(counted(event, availability), ticket.event)
    # Shown: what the filter lets through, from when it is for sale (a sold one stays).
    shown = listing_filter.matches(view) and (current is not None or view.status in OPEN)
    rest = [t for t in listings if t.id != view.id]
    return event, cheapest_first([*rest, view] if shown else rest)


def with_snapshot(
    event: EventView,
    listings: list[TicketView],
    tickets: list[TicketPublic],
    availability: Availability | None,
    listing_filter: ListingFilter,
) -> tuple[EventView, list[TicketView]]:
    """The event and its listings as the ``event:<id>`` snapshot tells them: ``tickets``
    are all of its listings for sale or held. A listing the page shows for sale that is
    not among them is no longer; one it shows sold or void stays; a copy newer than the
    snapshot's (the page read the REST API after it) is kept."""
    page = {t.id: t for t in listings}
    fresh = {t.id: TicketView.of(t) for t in tickets}
    open_now = [
        page[i] if i in page and page[i].version > view.version else view
        for i, view in fresh.items()
    ]
    ended = [t for t in listings if t.id not in fresh and t.status not in OPEN]
    shown = [t for t in open_now if listing_filter.matches(t)] + ended
    for ticket in tickets[:1]:  # every copy of its event is the same
        event = restated(event, ticket.event)
    return counted(event, availability), cheapest_first(shown)


class EventState(SessionState):
    event: EventView = EventView()
    listings: list[TicketView] = []
    found: bool = True
    loading: bool = True
    error: str = ""
    section: str = ""
    min_price: str = ""
    max_price: str = ""
    buy_error: str = ""
    buy_error_for: str = ""  # the listing the error is about
    buying_id: str = ""

    def _filter(self) -> ListingFilter:
        return ListingFilter.typed(
            section=self.section, min_price=self.min_price, max_price=self.max_price
        )

    @rx.var
    def filtered(self) -> bool:
        return self._filter().active

    @rx.var
    def rows(self) -> list[ListingRow]:
        return listing_rows(self.listings)

    @rx.var
    def listings_label(self) -> str:
        count = len(listing_rows(self.listings))
        noun = "listing" if count == 1 else "listings"
        if not self._filter().active:
            return f"{count} {noun}"
        return f"{count} {noun} " + ("matches" if count == 1 else "match")

    async def fetch(self) -> None:
        self.loading, self.error = True, ""
        event_id = path_id(self.router.url.path, "/events/")
        listing_filter = self._filter()
        try:
            detail = await api.call(
                EventDetail, "GET", f"/api/events/{event_id}",
                params=listing_filter.query_params(),
            )  # fmt: skip
        except api.ApiError as exc:
            self.found = exc.status != 404
            self.error = "" if exc.status == 404 else exc.message
            self.listings = []
        else:
            self.found = True
            self.event = EventView.of(detail)
            self.listings = cheapest_first([TicketView.of(t) for t in detail.listings])
        finally:
            self.loading = False
            self.tick_clock()

    @rx.event
    async def load(self) -> None:
        await self.refresh_session()
        self.buy_error = self.buy_error_for = self.buying_id = ""
        self.section = self.min_price = self.max_price = ""
        if path_id(self.router.url.path, "/events/") != self.event.id:
            self.event, self.listings = EventView(), []  # not the last event's, meanwhile
        await self.fetch()

    @rx.event
    async def apply_filters(self, form: dict[str, Any]) -> None:
        self.section = str(form.get("section", ""))
        self.min_price = str(form.get("minPrice", ""))
        self.max_price = str(form.get("maxPrice", ""))
        await self.fetch()

    @rx.event
    async def clear_filters(self) -> None:
        self.section = self.min_price = self.max_price = ""
        await self.fetch()

    async def _hold(
        self, row_id: str, start: Callable[[str, str], Awaitable[OrderPublic]]
    ) -> AsyncIterator[Any]:
        """Starts a purchase from a row (``start(token, caller)``), then on to its checkout;
        the API's refusal shows under the row."""
        if not self.signed_in:
            yield self.redirect_to_sign_in()
            return
        self.buying_id, self.buy_error, self.buy_error_for = row_id, "", ""
        yield None
        try:
            order = await start(self._token, self.router.session.client_ip)
        except api.ApiError as exc:
            self.buy_error, self.buy_error_for = exc.message, row_id
            return
        finally:
            self.buying_id = ""
        yield rx.redirect(f"/checkout/{order.id}")

    @rx.event
    async def buy(self, ticket_id: str) -> Any:
        async def start(token: str, caller: str) -> OrderPublic:
            return await api.hold_ticket(token, ticket_id, caller=caller)

        async for update in self._hold(ticket_id, start):
            yield update

    @rx.event
    async def buy_seats(self, form: dict[str, Any]) -> Any:
        """Holds the quantity picked of a listing's seats, then on to its checkout."""
        listing_id = str(form.get("listingId", ""))
        picked = str(form.get("quantity", ""))
        quantity = int(picked) if picked.isdigit() else 0  # the API says why 0 won't do

        async def start(token: str, caller: str) -> OrderPublic:
            return await api.hold_seats(token, listing_id, quantity, caller=caller)

        async for update in self._hold(listing_id, start):
            yield update

    async def apply_live(self, frame: AnyFrame) -> None:
        event_id = self.event.id
        if not event_id:
            return
        if isinstance(frame, Snapshot) and frame.topic == f"event:{event_id}":
            self.event, self.listings = with_snapshot(
                self.event, self.listings, frame.tickets or [], frame.availability, self._filter()
            )
        elif isinstance(frame, TicketMessage) and frame.ticket.event.id == event_id:
            # Also from the ``tickets`` topic, followed until the page's own begins.
            self.event, self.listings = with_ticket(
                self.event, self.listings, frame.ticket, frame.availability, self._filter()
            )
        else:
            return
        self.server_now_ms = now_ms()
