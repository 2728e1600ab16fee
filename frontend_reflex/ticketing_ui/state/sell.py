"""Listing a ticket for sale: for an event of the catalogue (searched as the seller
types) or for a new one typed in the form."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import reflex as rx

from ticketing_ui import api
from ticketing_ui.models import EventView
from ticketing_ui.seats import SPLIT_RULES, parse_seats
from ticketing_ui.state.fees import FeeQuoteState
from ticketing_ui.state.market import PRICE_HINT, cents
from ticketing_ui.state.session import SessionState
from wire.events import EventDetail, EventPage
from wire.tickets import ListingPublic, TicketPublic


def local_to_iso(text: str, zone: str) -> str | None:
    """A ``datetime-local`` value in the browser's time zone, as ISO-8601 with its offset."""
    try:
        moment = datetime.fromisoformat(text)
        tz = ZoneInfo(zone or "UTC")
    # The zone comes from the browser: a folder of the zone database ("America") is an OSError.
    except (ValueError, OSError, ZoneInfoNotFoundError):
        return None
    if moment.tzinfo is not None:  # an explicit offset already says which instant it is
        return moment.isoformat()
    return moment.replace(tzinfo=tz).isoformat()


def new_event(form: dict[str, Any], starts_at: str, zone: str) -> dict[str, Any]:
    """The ``event`` of ``POST /api/tickets`` for one typed in the form (found or created by
    the API); performers are typed separated by commas. With a city the venue is told in
    full, its time zone the seller's browser's (where the start time was read); without
    one, by its name only."""
    venue_name = str(form.get("venue", "")).strip()
    city = str(form.get("city", "")).strip()
    venue: str | dict[str, str] = venue_name
    if city:
        venue = {"name": venue_name, "city": city, "timeZone": zone or "UTC"}
    event: dict[str, Any] = {
        "name": str(form.get("eventName", "")).strip(),
        "kind": str(form.get("kind") or "concert"),
        "venue": venue,
        "startsAt": starts_at,
    }
    typed = str(form.get("performers", "")).split(",")
    if performers := [name.strip() for name in typed if name.strip()]:
        event["performers"] = performers
    return event


def seat_fields(fields: dict[str, str]) -> dict[str, str]:
    """The API's field errors as the form shows them: one about a seat of the listing
    (``seats.2``) under the seats field."""
    shown: dict[str, str] = {}
    for name, message in fields.items():
        shown.setdefault("seats" if name.startswith("seats.") else name, message)
    return shown


SEARCH_MIN_CHARS = 2
SEARCH_RESULTS = 8


class SellState(SessionState):
    errors: dict[str, str] = {}
    error: str = ""
    busy: bool = False
    time_zone: str = "UTC"
    # The event picked from the catalogue (``id`` empty: a new event typed in the form).
    chosen: EventView = EventView()
    matches: list[EventView] = []
    searched: str = ""  # the text the matches are for
    search_error: str = ""
    # Several seats listed together (``POST /api/listings``), and how they may be split.
    together: bool = False
    split: str = "any"

    @rx.var
    def split_explained(self) -> str:
        return SPLIT_RULES.get(self.split, "")

    @rx.event
    async def load(self) -> Any:
        await self.refresh_session()
        self.errors, self.error = {}, ""
        self.chosen, self.matches, self.searched, self.search_error = EventView(), [], "", ""
        self.together, self.split = False, "any"
        (await self.get_state(FeeQuoteState)).forget()  # the form starts empty, in dollars
        if not self.signed_in:
            return self.redirect_to_sign_in()
        # From an event's page: "sell a ticket for this event".
        if event_id := str(self.router.url.query_parameters.get("event", "")).strip():
            await self._choose(event_id)
        return rx.call_script(
            "Intl.DateTimeFormat().resolvedOptions().timeZone", callback=SellState.set_zone
        )

    async def _choose(self, event_id: str) -> None:
        try:
            # One listing at most: only the event is wanted here.
            event = await api.call(
                EventDetail, "GET", f"/api/events/{event_id}", params={"limit": 1}
            )
        except api.ApiError as exc:
            self.search_error = "" if exc.status == 404 else exc.message
            return
        if event.status == "cancelled":
            self.search_error = f"{event.name} is cancelled: its tickets can't be sold."
            return
        self.chosen = EventView.of(event)

    @rx.event
    async def search_events(self, text: str) -> None:
        """Upcoming events matching what the seller types (name, performer, venue, city)."""
        text = str(text).strip()
        self.searched, self.search_error = text, ""
        if len(text) < SEARCH_MIN_CHARS:
            self.matches = []
            return
        params = {"q": text, "pageSize": SEARCH_RESULTS}
        try:
            found = await api.call(EventPage, "GET", "/api/events", params=params)
        except api.ApiError as exc:
            self.matches, self.search_error = [], exc.message
            return
        self.matches = [EventView.of(event) for event in found.items]

    @rx.event
    def choose_event(self, event_id: str) -> None:
        picked = next((event for event in self.matches if event.id == event_id), None)
        if picked is not None and picked.status != "cancelled":
            self.chosen, self.matches, self.searched = picked, [], ""
            self.errors = {}

    @rx.event
    def forget_event(self) -> None:
        self.chosen = EventView()

    @rx.event
    def set_together(self, together: bool) -> None:
        self.together, self.errors = bool(together), {}

    @rx.event
    def set_split(self, split: str) -> None:
        self.split = split if split in SPLIT_RULES else "any"

    @rx.event
    def set_zone(self, zone: str) -> None:
        self.time_zone = str(zone or "UTC")

    def _body(self, form: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
        """The body of ``POST /api/tickets`` (or ``/api/listings`` for seats together),
        or the form's own errors: what the API would refuse anyway, told before asking."""
        local: dict[str, str] = {}
        amount = cents(str(form.get("price", "")))
        if not amount:
            local["price.amount"] = PRICE_HINT
        body: dict[str, Any] = {
            "title": str(form.get("title", "")).strip(),
            "price": {"amount": amount, "currency": str(form.get("currency") or "usd")},
        }
        if self.chosen.id:
            body["eventId"] = self.chosen.id
        elif (starts := local_to_iso(str(form.get("startsAt", "")), self.time_zone)) is None:
            local["event.startsAt"] = "Pick the date and time of the event."
        else:
            body["event"] = new_event(form, starts, self.time_zone)
        for key in ("section", "row") if self.together else ("section", "row", "seat"):
            if value := str(form.get(key, "")).strip():
                body[key] = value
        if self.together:
            typed = parse_seats(str(form.get("seats", "")))
            if typed.error:
                local["seats"] = typed.error
            body |= {"seats": list(typed.seats), "split": self.split}
        return body, local

    async def _list(self, body: dict[str, Any]) -> str:
        """Lists the ticket, or the seats together; where the seller goes next."""
        if not self.together:
            ticket = await api.call(
                TicketPublic, "POST", "/api/tickets", token=self._token, json=body
            )
            self.notify("Your ticket is on sale.")
            return f"/tickets/{ticket.id}"
        listing = await api.call(
            ListingPublic, "POST", "/api/listings", token=self._token, json=body
        )
        self.notify(f"Your {len(listing.tickets)} seats are on sale together.")
        return f"/events/{listing.tickets[0].event.id}"

    @rx.event
    async def submit(self, form: dict[str, Any]) -> Any:
        self.errors, self.error = {}, ""
        body, local = self._body(form)
        if local:
            self.errors = local
            return
        self.busy = True
        yield
        try:
            listed = await self._list(body)
        except api.ApiError as exc:
            self.errors = seat_fields(exc.fields)
            self.error = "" if exc.fields else exc.message
            if exc.status == 401:
                yield self.redirect_to_sign_in()
            return
        finally:
            self.busy = False
        yield rx.redirect(listed)
