"""The home page: upcoming events, searched and filtered (``GET /api/events``), each
card's "N tickets from $X" kept current by the ``availability`` that the live API's
``ticket.*`` messages carry for their event."""

from __future__ import annotations

from typing import Any

import reflex as rx

from ticketing_ui import api
from ticketing_ui.models import EventView
from ticketing_ui.state.market import day_bound
from ticketing_ui.state.session import SessionState
from wire.events import Availability, EventPage
from wire.live import AnyFrame, Resync, TicketMessage
from wire.values import EventKind

PAGE_SIZE = 24
SORTS = {"date": "Date", "popularity": "Most popular", "price": "Lowest price"}


def catalogue_query(
    *,
    q: str = "",
    kind: str = "all",
    city: str = "",
    date_from: str = "",
    date_to: str = "",
    sort: str = "date",
    page: int = 1,
    page_size: int = PAGE_SIZE,
) -> dict[str, Any]:
    """The filters as typed in the form, as ``GET /api/events`` reads them: empty ones,
    a kind or sort this app does not offer and days that are no days are left out."""
    params: dict[str, Any] = {
        "sort": sort if sort in SORTS else "date",
        "page": max(1, page),
        "pageSize": page_size,
    }
    if q.strip():
        params["q"] = q.strip()
    if any(kind == each.value for each in EventKind):
        params["kind"] = kind
    if city.strip():
        params["city"] = city.strip()
    if (after := day_bound(date_from, end=False)) is not None:
        params["startsAfter"] = after.isoformat()
    if (before := day_bound(date_to, end=True)) is not None:
        params["startsBefore"] = before.isoformat()
    return params


def with_availability(
    events: list[EventView], event_id: str | None, availability: Availability
) -> list[EventView] | None:
    """``events`` with the card of ``event_id`` counted anew; None when the page does not
    show that event (nothing to change)."""
    if not event_id or not any(event.id == event_id for event in events):
        return None
    return [event.counted(availability) if event.id == event_id else event for event in events]


class CatalogueState(SessionState):
    events: list[EventView] = []
    total: int = 0
    page: int = 1
    loading: bool = True
    error: str = ""
    q: str = ""
    kind: str = "all"
    city: str = ""
    date_from: str = ""
    date_to: str = ""
    sort: str = "date"

    @rx.var
    def total_label(self) -> str:
        return "1 event" if self.total == 1 else f"{self.total} events"

    @rx.var
    def pages(self) -> int:
        return max(1, -(-self.total // PAGE_SIZE))

    async def fetch(self) -> None:
        self.loading, self.error = True, ""
        params = catalogue_query(
            q=self.q,
            kind=self.kind,
            city=self.city,
            date_from=self.date_from,
            date_to=self.date_to,
            sort=self.sort,
            page=self.page,
        )
        try:
            found = await api.call(EventPage, "GET", "/api/events", params=params)
        except api.ApiError as exc:
            self.error = exc.message
            self.events, self.total = [], 0
        else:
            self.events = [EventView.of(item) for item in found.items]
            self.total = found.total
        finally:
            self.loading = False

    @rx.event
    async def load(self) -> None:
        await self.refresh_session()
        await self.fetch()

    @rx.event
    async def apply_filters(self, form: dict[str, Any]) -> None:
        self.q = str(form.get("q", ""))
        self.kind = str(form.get("kind") or "all")
        self.city = str(form.get("city", ""))
        self.date_from = str(form.get("dateFrom", ""))
        self.date_to = str(form.get("dateTo", ""))
        self.sort = str(form.get("sort") or "date")
        self.page = 1
        await self.fetch()

    @rx.event
    async def clear_filters(self) -> None:
        self.q = self.city = self.date_from = self.date_to = ""
        self.kind, self.sort, self.page = "all", "date", 1
        await self.fetch()

    @rx.event
    async def go_to_page(self, page: int) -> None:
        self.page = min(max(1, int(page)), self.pages)
        await self.fetch()

    async def apply_live(self, frame: AnyFrame) -> None:
        if isinstance(frame, TicketMessage) and frame.availability is not None:
            events = with_availability(self.events, frame.ticket.event.id, frame.availability)
            if events is not None:
                self.events = events
        elif isinstance(frame, Resync):  # messages were lost: the counts may be behind
            await self.fetch()
