"""One event: its listings, cheapest first, filtered, and kept current by the ``tickets``
topic (only the messages about this event's tickets)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import reflex as rx

from ticketing_ui import api
from ticketing_ui.models import EventView, TicketView, availability_label
from ticketing_ui.state.market import cents
from ticketing_ui.state.session import SessionState, now_ms
from ticketing_ui.state.ticket import path_id
from wire.events import EventDetail
from wire.live import AnyFrame, Snapshot, TicketMessage
from wire.tickets import TicketPublic

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


# A ticket's status before a live message, told by the message's type (None: new).
BEFORE = {
    "ticket.listed": None,
    "ticket.locked": "available",
    "ticket.unlocked": "locked",
    "ticket.sold": "locked",  # a sale ends a purchase that held it
}


def status_before(message_type: str, status: str) -> str | None:
    """What a ticket was before a message of ``message_type`` left it ``status``: price
    changes and other updates keep it, except a cancellation's, which voids a ticket for
    sale (one being bought has its order cancelled first, which unlocks it)."""
    if message_type in BEFORE:
        return BEFORE[message_type]
    return "available" if status == "void" else status


def cheapest_first(listings: list[TicketView]) -> list[TicketView]:
    return sorted(listings, key=lambda t: t.amount)  # stable: the API's order among equals


def recounted(event: EventView, before: str | None, after: TicketView) -> EventView:
    """``event``'s counts once one of its tickets went from status ``before`` (None: a
    ticket the page did not know) to ``after``'s."""
    counts = {"available": event.available, "locked": event.locked, "sold": event.sold}
    if before in counts:
        counts[before] = max(0, counts[before] - 1)
    if after.status in counts:
        counts[after.status] += 1
    return replace(
        event, available=counts["available"], locked=counts["locked"], sold=counts["sold"]
    )


def with_lowest_price(event: EventView, listings: list[TicketView], *, every: bool) -> EventView:
    """``event`` with its "N tickets from $X" redone. ``every``: ``listings`` are all its
    tickets for sale, so the cheapest available one is the lowest price; otherwise (the page
    is filtered) a cheaper listing can only lower it."""
    available = [t for t in listings if t.status == "available"]
    low = min(available, key=lambda t: t.amount, default=None)
    if every:
        amount, currency = (low.amount, low.currency) if low else (0, "")
    elif low is not None and (not event.currency or low.amount < event.min_amount):
        amount, currency = low.amount, low.currency
    else:
        amount, currency = event.min_amount, event.currency
    view = replace(event, min_amount=amount, currency=currency)
    return replace(
        view, availability_label=availability_label(view.available, view.availability().min_price)
    )


def with_ticket(
    event: EventView,
    listings: list[TicketView],
    ticket: TicketPublic,
    before: str | None,
    listing_filter: ListingFilter,
    *,
    every: bool,
) -> tuple[EventView, list[TicketView]]:
    """The event and its listings once one of its tickets is as the live API tells it now;
    ``before``: its status before, when it is not among ``listings`` (None: a ticket new to
    the event's counts); ``every``: ``listings`` are all of the event's open tickets."""
    view = TicketView.of(ticket)
    current = next((t for t in listings if t.id == view.id), None)
    if current is not None:
        if view.version < current.version:
            return event, listings  # older than what the page shows
        before = current.status
    event = recounted(event, before, view)
    copy = ticket.event  # the tickets service copies a postponement or a cancellation
    moved = copy.status != event.status or (
        bool(event.starts_at) and copy.starts_at != datetime.fromisoformat(event.starts_at)
    )
    if moved and event.status != "cancelled":  # cancelled is final
        event = event.restated(copy)
    # Shown: what the filter lets through, from when it is for sale (a sold one stays).
    shown = listing_filter.matches(view) and (current is not None or view.status in OPEN)
    rest = [t for t in listings if t.id != view.id]
    listings = cheapest_first([*rest, view] if shown else rest)
    return with_lowest_price(event, listings, every=every), listings


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
    _every: bool = True  # the listings shown are all of the event's (no filter, under the limit)

    def _filter(self) -> ListingFilter:
        return ListingFilter.typed(
            section=self.section, min_price=self.min_price, max_price=self.max_price
        )

    @rx.var
    def filtered(self) -> bool:
        return self._filter().active

    @rx.var
    def listings_label(self) -> str:
        count = len(self.listings)
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
            self._every = not listing_filter.active and len(detail.listings) < LISTING_LIMIT
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

    @rx.event
    async def buy(self, ticket_id: str) -> Any:
        if not self.signed_in:
            yield self.redirect_to_sign_in()
            return
        self.buying_id, self.buy_error, self.buy_error_for = ticket_id, "", ""
        yield
        try:
            order = await api.hold_ticket(
                self._token, ticket_id, caller=self.router.session.client_ip
            )
        except api.ApiError as exc:
            self.buy_error, self.buy_error_for = exc.message, ticket_id
            return
        finally:
            self.buying_id = ""
        yield rx.redirect(f"/checkout/{order.id}")

    def _take(self, ticket: TicketPublic, before: str | None) -> None:
        self.event, self.listings = with_ticket(
            self.event, self.listings, ticket, before, self._filter(), every=self._every
        )

    async def apply_live(self, frame: AnyFrame) -> None:
        if not self.event.id:
            return
        if isinstance(frame, Snapshot) and frame.topic == "tickets":
            # After a reconnection: a ticket the page does not know was listed meanwhile
            # when the page shows all of them; otherwise it is counted already.
            for ticket in frame.tickets or []:
                if ticket.event.id == self.event.id:
                    self._take(ticket, None if self._every else ticket.status.value)
        elif isinstance(frame, TicketMessage) and frame.ticket.event.id == self.event.id:
            self._take(frame.ticket, status_before(frame.type, frame.ticket.status.value))
        else:
            return
        self.server_now_ms = now_ms()
